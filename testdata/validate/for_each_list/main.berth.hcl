cluster "prod" {
  docker {
    host "h1" {
      endpoint = "unix:///var/run/docker.sock"
    }
  }
}

app "web" {
  for_each = ["a", "b"]
  cluster  = cluster.prod
  image    = "nginx:${each.key}"
}
