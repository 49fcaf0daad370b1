berth {
  required_version = ">= 0.1"                       # hashicorp/go-version constraint
  required_providers {
    acmedns = { source = "acme/dns", version = "~> 1.2" }
    acmelb  = { source = "acme/lb", version = "~> 1.0" }
  }
  backend "local" {                                 # local is the default (and the only backend of this build)
    path = "berth.state"
  }
}

variable "tag" {
  type = string
}
variable "password" {
  type      = string
  sensitive = true
}
locals {
  env = "prod"
}

cluster "prod" {                 # a set of Docker hosts: the kind block names the platform
  docker {
    host "prod-1" {
      endpoint = "unix:///var/run/docker.sock"
      labels   = { pool = "core" }
    }
  }
}

cluster "edge" {
  docker {
    host "edge-1" {
      endpoint = "tcp://10.0.0.11:2376"
      labels   = { pool = "core" }
      tls {
        ca_file   = "ca.pem"
        cert_file = "cert.pem"
        key_file  = "key.pem"
      }
    }
    host "edge-2" {
      endpoint = "unix:///var/run/docker.sock"
      labels   = { pool = "batch" }
    }
  }
}

registry "harbor" {
  address  = "harbor.example.com"
  username = "robot$deploy"
  password = var.password
}

probe "health" {                 # reusable; an app may also write one inline
  http {
    path   = "/health"
    port   = "http"              # a named port of the app, or a number
    status = [200]
  }
  period            = "10s"      # defaults: period 10s, timeout 1s,
  timeout           = "1s"       # failure_threshold 3, success_threshold 1,
  failure_threshold = 3          # initial_delay 0s
}

app "web" {
  cluster  = cluster.prod
  image    = "${registry.harbor.address}/shop/web:${var.tag}"
  replicas = 6
  command  = ["/web"]
  env      = { LOG_LEVEL = "info" }

  port "http" {
    container = 8080
  }

  resources {
    cpu            = 2           # limit, in cores
    memory         = "2Gi"
    cpu_overcommit = 4           # request = limit / 4 (node-class overcommit)
  }

  placement {
    node_selector = { pool = "core" }
    spread        = "host"       # at most one replica per host when possible
  }

  readiness = probe.health
  liveness {
    tcp {
      port = "http"
    }
  }

  hooks {
    after_start {                # its output and exit code are logged;
      exec     = ["/warm-cache"] # required = true fails the instance
      required = false
    }
    before_stop {
      exec = ["/deregister"]
    }
    drain = "30s"                # time between leaving traffic and SIGTERM
  }

  rollout {
    initial_batch    = 1         # first wave
    growth           = 2         # each healthy wave multiplies the next: 1, 2, 3 for 6 replicas
    max_unavailable  = 0
    min_healthy      = "10s"     # a new instance must stay ready this long
    healthy_deadline = "5m"
    auto_revert      = true      # a failed wave rolls the app back to the previous spec
  }

  lifecycle {
    prevent_destroy = true
  }
}

scaling_policy "web" {
  app      = app.web
  min      = 2
  max      = 20
  metric "cpu" {
    target_utilization = 70
  }
  metric "concurrency" {
    target = 100
  }
  cooldown = "5m"
}

load_balancer "web" {
  provider = acmelb              # provider "acmelb" { region = ... } configures it
  type     = "application"
  subnets  = var.subnets
  listener {
    port     = 80
    protocol = "HTTP"
  }
  target {
    app  = app.web
    port = "http"
  }
  # health check: derived from app.web's readiness probe unless given here
  deregistration_delay = "30s"
}

resource "acmedns_record" "www" {  # any resource type of any provider
  name   = "www"
  target = load_balancer.web.dns_name
}

output "url" {
  value = "http://${load_balancer.web.dns_name}"
}

variable "subnets" {
  type    = list(string)
  default = ["subnet-a", "subnet-b"]
}

provider "acmelb" {
  region = "eu-west-1"
}
