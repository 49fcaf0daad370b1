probe "health" {
  tcp {
    port = 8080
  }
  failure_threshold = 0
}
