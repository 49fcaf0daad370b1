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

  lifecycle {
    create_before_destroy = true
    prevent_destroy       = false
    ignore_changes        = [replicas, env]
  }
}
app "api" {
  cluster  = cluster.prod
  image    = "registry.example.com/shop/api:1.0"
  replicas = 2

  port "http" {
    container = 8080
  }

  lifecycle {
    ignore_changes = all
  }
}
