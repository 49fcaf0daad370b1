cluster "prod" {
  docker {
    host "h1" {
      endpoint = "unix:///var/run/docker.sock"
    }
  }
}

app "svc" {
  for_each = toset(["cart", "checkout"])
  cluster  = cluster.prod
  image    = "registry.example.com/shop/${each.key}:1.0"
}
