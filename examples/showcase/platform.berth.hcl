cluster "prod" {
  docker {
    host "prod-1" {
      endpoint = "tcp://10.0.1.11:2376"
      labels   = { pool = "core", zone = "a" }
      tls {
        ca_file   = "ca.pem"
        cert_file = "cert.pem"
        key_file  = "key.pem"
      }
    }
    host "prod-2" {
      endpoint = "tcp://10.0.1.12:2376"
      labels   = { pool = "core", zone = "b" }
      tls {
        ca_file   = "ca.pem"
        cert_file = "cert.pem"
        key_file  = "key.pem"
      }
    }
  }
}

cluster "edge" {
  docker {
    host "edge-1" {
      endpoint = "tcp://10.0.0.11:2376"
      labels   = { pool = "core" }
      tls {
        ca_file   = "ca.pem"
        cert_file = "cert.pem"
        key_file  = "key.pem"
      }
    }
    host "edge-2" {
      endpoint = "unix:///var/run/docker.sock"
      labels   = { pool = "batch" }
    }
  }
}

registry "harbor" {
  address  = "harbor.example.com"
  username = "robot$deploy"
  password = var.password
}

probe "health" {
  http {
    path   = "/health"
    port   = "http"
    status = [200]
  }
  period            = "10s"
  timeout           = "1s"
  failure_threshold = 3
  success_threshold = 1
  initial_delay     = "5s"
}
