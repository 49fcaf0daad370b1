cluster "prod" {
  docker {
    host "h1" {
      endpoint = "unix:///var/run/docker.sock"
    }
  }
}

app "web" {
  count    = 2
  for_each = toset(["a", "b"])
  cluster  = cluster.prod
  image    = "nginx:1.27"
}
