berth {
  backend "local" {
    pat = "prod.state"
  }
}
