cluster "prod" {
  docker {
    host "h1" {
      endpoint = "unix:///var/run/docker.sock"
    }
  }
}

locals {
  settings = {
    domain = "shop.example.com"
    cache  = true
  }
  config_json = jsonencode(local.settings)
  decoded     = jsondecode("{\"a\": 1}")
  merged      = merge({ a = "1" }, { b = "2" })
  safe        = try(local.settings.missing, "fallback")
  has_domain  = can(local.settings.domain)
  encoded     = base64encode("hello")
  greeting    = format("Hello, %s!", "berth")
  joined      = join(",", ["a", "b"])
  looked_up   = lookup(local.merged, "c", "default")
  first       = coalesce("", "first")
  upper       = upper("shop")
  banner      = file("${path.module}/banner.txt")
  nginx_conf  = templatefile("${path.module}/nginx.conf.tpl", { domain = local.settings.domain, port = 8080 })
}
app "web" {
  cluster = cluster.prod
  image   = "nginx:1.27"
  env = merge(
    { CONFIG = local.config_json, CONF = local.nginx_conf, BANNER = local.banner },
    local.merged,
  )
}
