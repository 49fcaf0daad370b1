berth {
  required_providers {
    acmedns = { source = "acme/dns", version = "~> one.two" }
  }
}
