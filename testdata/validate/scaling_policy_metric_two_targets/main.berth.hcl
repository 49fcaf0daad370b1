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
}

scaling_policy "web" {
  app = app.web
  max = 5
  metric "cpu" {
    target_utilization = 70
    target             = 100
  }
}
