berth {
  required_providers {
    acmelb = { source = "acme/lb" }
  }
}
