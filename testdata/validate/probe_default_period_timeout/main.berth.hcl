probe "slow" {
  http {
    path = "/"
    port = 8080
  }
  timeout = "30s"
}
