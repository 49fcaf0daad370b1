berth {
  required_providers {
    acmedns = { source = "acme/dns", version = "~> 1.2" }
  }
}
provider "acmedns" {
  endpoint = "https://dns.example.com"
}
data "acmedns_zone" "main" {
  name = "example.com"
}
resource "acmedns_record" "www" {
  zone   = data.acmedns_zone.main.id
  name   = "www"
  target = "10.0.0.1"
}
resource "acmedns_record" "api" {
  count      = 2
  zone       = data.acmedns_zone.main.id
  name       = "api-${count.index}"
  target     = "10.0.0.2"
  depends_on = [acmedns_record.www]
  lifecycle {
    create_before_destroy = true
  }
}
