cluster "edge" {
  docker {
    host "h1" { endpoint = "unix:///var/run/docker.sock" }
  }
}

app "web" {
  cluster = cluster.edge
  image   = "registry.test/web:v1"
  port "http" {
    container = 8080
    host      = 80
  }
  rollout {
    strategy = "canary"
  }
}
