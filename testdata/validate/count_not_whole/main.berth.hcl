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

app "w" {
  count   = 1.5
  cluster = cluster.prod
  image   = "nginx"
}
