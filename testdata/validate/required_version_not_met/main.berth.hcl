berth {
  required_version = ">= 99.0"
}
