# count, for_each, depends_on and lifecycle on every resource-like block.
berth {
  required_providers {
    acmedns = { source = "acme/dns", version = "~> 1.2" }
    acmelb  = { source = "acme/lb" }
  }
}

variable "regions" {
  type    = set(string)
  default = ["eu", "us"]
}

cluster "prod" {
  docker {
    host "h1" { endpoint = "unix:///var/run/docker.sock" }
  }
}

provider "acmelb" {
  region = "eu-west-1"
}

app "web" {
  for_each = var.regions
  cluster  = cluster.prod
  image    = "nginx:1.27"
  env      = { REGION = each.key }

  port "http" {
    container = 8080
  }

  lifecycle {
    create_before_destroy = true
  }
}

scaling_policy "web" {
  for_each   = var.regions
  app        = app.web[each.key]
  max        = 10
  depends_on = [app.web]

  metric "cpu" {
    target_utilization = 75
  }

  lifecycle {
    ignore_changes = [max]
  }
}

load_balancer "web" {
  count    = 1
  provider = acmelb
  subnets  = ["subnet-1"]

  listener {
    port = 80
  }
  target {
    app  = app.web["eu"]
    port = "http"
  }

  depends_on = [scaling_policy.web]
  lifecycle {
    prevent_destroy = true
  }
}

data "acmedns_zone" "main" {
  count = 1
  name  = "example.com"
}

resource "acmedns_record" "www" {
  for_each = var.regions
  zone     = data.acmedns_zone.main[0].id
  name     = "www-${each.key}"
  target   = load_balancer.web[0].dns_name

  depends_on = [load_balancer.web]
  lifecycle {
    create_before_destroy = true
    ignore_changes        = all
  }
}
