# A third-party provider's objects (acme/dns, declared in berth.required_providers).
data "acmedns_zone" "shop" {
  name = local.domain
}

resource "acmedns_record" "www" {
  zone   = data.acmedns_zone.shop.id
  name   = "www"
  target = app.web.instances[0].addresses["http"].ip
}
