probe "health" {
  tcp {
    port = 8080
  }
  period  = "5s"
  timeout = "5s"
}
