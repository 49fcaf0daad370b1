probe "health" {
  tcp {
    port = 8080
  }
  period  = "10s"
  timeout = "10s"
}
