cluster "edge" {
  docker {
    host "edge-1" {
      endpoint = "unix:///var/run/docker.sock"
    }
  }
}

registry "local" {
  address = "127.0.0.1:5000"
}
app "web" {
  cluster  = cluster.edge
  image    = "registry.example.com/shop/web:1.0"
  replicas = 2

  port "http" {
    container = 8080
  }

  readiness {
    http {
      path = "/healthz"
      port = 8080
    }
  }
  placement {
    node_selector = { pool = "core" }
    spread        = "host"
  }
  hooks {
    drain = "10s"
  }
}
