cluster "edge" {
  docker {
    host "h1" {
      endpoint = "unix:///var/run/docker.sock"
      labels   = { zone = "eu-1a" }
    }
    host "h2" { endpoint = "tcp://h2.internal:2376" }
  }
}

app "web" {
  cluster = cluster.edge
  image   = "registry.test/web:v1"
  placement {
    spread = "zone"
  }
}
