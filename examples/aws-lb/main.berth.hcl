# An app on two Docker hosts behind an AWS Application Load Balancer: the
# load balancer, a target group whose health check is the app's readiness
# probe, an HTTP listener, and the app's instances registered as targets.
# Every rolling update drains each wave's old instances from the load
# balancer before they stop and admits the new ones once the target group
# reports them healthy (docs/aws.md). run.sh runs it against berth's ELBv2
# emulator and the Docker test environment; for real AWS, see docs/aws.md.

variable "region" {
  type    = string
  default = "us-east-1"
}

variable "endpoint" {
  type        = string
  description = "the ELBv2 endpoint; null: AWS's own for the region"
  default     = null
}

variable "subnets" {
  type        = list(string)
  description = "the subnets of the load balancer, in two availability zones at least"
  default     = ["subnet-0a1b2c3d", "subnet-4e5f6a7b"]
}

# run.sh sets these from scripts/testenv/docker.sh env.
variable "docker_a" {
  type        = string
  description = "the Engine API endpoint of the first host"
}

variable "docker_b" {
  type        = string
  description = "the Engine API endpoint of the second host"
}

variable "registry" {
  type        = string
  description = "registry host[:port] that serves the image"
}

variable "registry_password" {
  type      = string
  sensitive = true
}

variable "strategy" {
  type        = string
  default     = "rolling"
  description = "\"rolling\", or \"canary\": one instance of the new spec at 10% of the traffic, then berth rollout promote or abort"
}

variable "tag" {
  type    = string
  default = "v1"
}

provider "aws" {
  region   = var.region
  endpoint = var.endpoint
}

cluster "edge" {
  docker {
    host "a" {
      endpoint = var.docker_a
    }
    host "b" {
      endpoint = var.docker_b
    }
  }
}

registry "shop" {
  address  = var.registry
  username = "berth"
  password = var.registry_password
}

app "web" {
  cluster  = cluster.edge
  image    = "${var.registry}/berth/testserver:${var.tag}"
  replicas = 6
  port "http" {
    container = 8080
  }
  placement {
    spread = "host"
  }
  # The target group's health check is this probe: path, interval,
  # timeout and thresholds (within ELBv2's bounds).
  readiness {
    http {
      path = "/healthz"
      port = "http"
    }
    period  = "5s"
    timeout = "2s"
  }
  rollout {
    initial_batch    = 1
    growth           = 2
    min_healthy      = "2s"
    healthy_deadline = "2m"
    auto_revert      = true
    strategy         = var.strategy
  }
}

load_balancer "web" {
  name    = "shop-web"
  type    = "application"
  subnets = var.subnets
  listener {
    port     = 80
    protocol = "HTTP"
  }
  target {
    app  = app.web
    port = "http"
  }
  deregistration_delay = "15s"
  tags = {
    team = "shop"
  }
}

output "dns_name" {
  value = load_balancer.web.dns_name
}

output "listener_arn" {
  value = load_balancer.web.listeners["80"].arn
}
