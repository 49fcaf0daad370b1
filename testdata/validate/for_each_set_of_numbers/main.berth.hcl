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
  for_each = toset([1, 2])
  cluster  = cluster.prod
  image    = "nginx:${each.key}"
}
