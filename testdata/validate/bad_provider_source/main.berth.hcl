berth {
  required_providers {
    acmedns = { source = "acme/dns/extra/parts", version = "~> 1.2" }
  }
}
