probe "health" {
  tcp {
    port = 8080
  }
  period = "10 seconds"
}
