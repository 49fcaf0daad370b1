# The configuration of viewtest.FullPlan (its providers renamed as a real
# plan names them), for the plan document's configuration section.
berth {
  required_providers {
    acmedns = { source = "Acme/DNS", version = "~> 1.2" }
  }
}

variable "tag" {
  type        = string
  default     = "v2"
  description = "The image tag to deploy."
}
variable "password" {
  type      = string
  sensitive = true
  default   = "hunter2-s3cr3t"
}
variable "subnets" {
  type    = list(string)
  default = ["subnet-a", "subnet-c", "subnet-b"]
}

locals {
  zone = data.acmedns_zone.main.id
}

provider "acmedns" {
  token  = "hunter2-s3cr3t"
  region = var.tag
}

cluster "edge" {
  docker {
    host "edge-1" {
      endpoint = "tcp://10.0.0.11:2376"
    }
  }
}

app "web" {
  cluster  = cluster.edge
  image    = "127.0.0.1:5000/shop/web:${var.tag}"
  replicas = 6
  command  = ["/web", "--verbose"]
  env      = { LOG_LEVEL = "debug", REGION = "eu", TRACE = "1" }

  port "http" {
    container = 8081
  }
  port "admin" {
    container = 9090
  }

  resources {
    cpu    = 4
    memory = "2Gi"
  }

  lifecycle {
    create_before_destroy = false
  }
}

app "api" {
  count    = 1
  cluster  = cluster.edge
  image    = app.web.image
  replicas = 6
}

app "migrate" {
  cluster = cluster.edge
  image   = "migrate:v2"
}

app "noop" {
  cluster = cluster.edge
  image   = "noop:v1"
}

load_balancer "web" {
  provider   = aws
  type       = "network"
  subnets    = var.subnets
  depends_on = [app.web]
  listener {
    port     = 80
    protocol = "HTTP"
  }
  target {
    app  = app.web
    port = "http"
  }
}

data "acmedns_zone" "main" {
  name = "example.com"
}

resource "acmedns_record" "www" {
  for_each = toset(["eu"])
  name     = "www"
  zone     = local.zone
  ttl      = 300
  tags     = ["public"]
}

resource "acmedns_secret" "registry" {
  username = "robot$deploy"
  password = "n3w-hunter2"
  env      = { MODE = "a", TOKEN = "n3w-hunter2" }
  creds    = { user = "u", key = "n3w-hunter2" }
}

resource "acmedns_secret" "new" {
  password = var.password
}

# Not in the plan (it stopped before): which of its arguments the
# provider holds sensitive is unknown, so none shows a constant.
resource "acmedns_record" "unplanned" {
  name  = "later"
  token = "hunter2-s3cr3t"
}

output "url" {
  value       = "http://${acmedns_record.www["eu"].target}"
  description = "Where the shop answers."
}
output "replicas" {
  value = app.web.replicas + 2
}
output "db_password" {
  value     = "n3w-hunter2"
  sensitive = true
}
output "hosts" {
  value = ["edge-1", "edge-2"]
}
output "same" {
  value = "x"
}
