cluster "prod" {
  docker {
    host "h1" {
      endpoint = "unix:///var/run/docker.sock"
    }
  }
}
app "web" {
  cluster  = cluster.prod
  image    = "registry.example.com/shop/web:1.0"
  replicas = 2

  port "http" {
    container = 8080
  }

  resources {
    cpu    = 1
    memory = "lots"
  }
}
