cluster "prod" {
  docker {
    host "h1" { endpoint = "unix:///var/run/docker.sock" }
  }
}

app "w" {
  cluster = cluster.prod
  image   = "nginx"
  hooks {
    before_stop {
      exec    = ["/x"]
      timeout = "soon"
    }
  }
}
