berth {
  required_providers {
    acmedns = { source = "acme/dns", version = "~> 1.2" }
  }
}
resource "acmedns_record" "www" {
  zone   = data.acmedns_zone.main.id
  name   = "www"
  target = "10.0.0.1"
}
