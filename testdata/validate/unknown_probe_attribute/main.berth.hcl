probe "health" {
  tcp {
    port = 8080
  }
  perod = "10s"
}
