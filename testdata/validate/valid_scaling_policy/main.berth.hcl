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
  min = 2
  max = 20
  metric "cpu" {
    target_utilization = 70
  }
  metric "memory" {
    target_utilization = 80
  }
  metric "concurrency" {
    target = 100
  }
  cooldown = "5m"
}
