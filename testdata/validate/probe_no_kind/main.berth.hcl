probe "health" {
  period = "10s"
}
