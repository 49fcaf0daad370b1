probe "health" {
  http {
    path = "/health"
    port = 8080
  }
  tcp {
    port = 8080
  }
}
