berth {
  required_version = "newest please"
}
