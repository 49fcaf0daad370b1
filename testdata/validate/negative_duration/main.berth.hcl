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
  cluster = cluster.prod
  image   = "nginx"
  hooks {
    drain = "-5s"
  }
}
