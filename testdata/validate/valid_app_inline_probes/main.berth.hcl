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

  port "admin" {
    container = 9000
  }
  readiness {
    http {
      path = "/ready"
      port = "http"
    }
    initial_delay = "5s"
  }
  liveness {
    tcp {
      port = "admin"
    }
    period = "20s"
  }
  startup {
    exec {
      command = ["/started"]
    }
    failure_threshold = 30
  }
}
