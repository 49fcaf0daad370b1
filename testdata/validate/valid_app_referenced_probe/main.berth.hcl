cluster "prod" {
  docker {
    host "h1" {
      endpoint = "unix:///var/run/docker.sock"
    }
  }
}

probe "health" {
  http {
    path = "/health"
    port = "http"
  }
}
probe "alive" {
  tcp {
    port = 8080
  }
}
app "web" {
  cluster  = cluster.prod
  image    = "registry.example.com/shop/web:1.0"
  replicas = 2

  port "http" {
    container = 8080
  }

  readiness = probe.health
  liveness  = probe.alive
}
app "api" {
  cluster  = cluster.prod
  image    = "registry.example.com/shop/api:1.0"
  replicas = 2

  port "http" {
    container = 8080
  }

  readiness = probe.health
}
