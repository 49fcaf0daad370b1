cluster "prod" {
  docker {
    host "h1" {
      endpoint = "unix:///var/run/docker.sock"
    }
  }
}

app "web" {
  count   = -1
  cluster = cluster.prod
  image   = "nginx:1.27"
}
