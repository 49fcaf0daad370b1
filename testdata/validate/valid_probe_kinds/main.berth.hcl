probe "web" {
  http {
    path   = "/health"
    port   = "http"
    status = [200, 204]
  }
  period            = "10s"
  timeout           = "1s"
  failure_threshold = 3
  success_threshold = 1
  initial_delay     = "0s"
}
probe "tcp" {
  tcp {
    port = 5432
  }
}
probe "exec" {
  exec {
    command = ["/bin/check", "--quick"]
  }
  timeout = "5s"
  period  = "30s"
}
probe "grpc" {
  grpc {
    port    = 50051
    service = "shop.Health"
  }
}
