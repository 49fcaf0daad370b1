berth {
  backend "consul" {
    path = "berth"
  }
}
