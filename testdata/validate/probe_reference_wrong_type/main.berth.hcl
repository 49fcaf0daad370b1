cluster "prod" {
  docker {
    host "h1" { endpoint = "unix:///var/run/docker.sock" }
  }
}
probe "health" {
  tcp {
    port = 80
  }
}

app "web" {
  cluster   = cluster.prod
  image     = "nginx"
  readiness = "health"
}
