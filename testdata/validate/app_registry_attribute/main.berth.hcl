cluster "prod" {
  docker {
    host "h1" { endpoint = "unix:///var/run/docker.sock" }
  }
}

registry "test" {
  address = "registry.test"
}

app "web" {
  cluster  = cluster.prod
  image    = "shop/web:v2"
  registry = registry.test
}
