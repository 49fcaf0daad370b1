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

  rollout {
    min_healthy      = "5m"
    healthy_deadline = "2m"
  }
}
