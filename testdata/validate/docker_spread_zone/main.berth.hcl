cluster "edge" {
  docker {
    host "h1" { endpoint = "unix:///var/run/docker.sock" }
  }
}

app "web" {
  cluster = cluster.edge
  image   = "registry.test/web:v1"
  placement {
    spread = "zone"
  }
}
