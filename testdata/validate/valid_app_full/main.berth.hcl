cluster "prod" {
  docker {
    host "h1" {
      endpoint = "unix:///var/run/docker.sock"
    }
  }
}

variable "tag" {
  type    = string
  default = "1.0"
}
registry "harbor" {
  address = "harbor.example.com"
}
probe "health" {
  http {
    path = "/health"
    port = "http"
  }
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
    cpu            = 2
    memory         = "2Gi"
    cpu_overcommit = 4
  }

  placement {
    node_selector = { pool = "core" }
    spread        = "host"
  }

  readiness = probe.health
  liveness {
    tcp {
      port = "http"
    }
  }

  hooks {
    after_start {
      exec     = ["/warm-cache"]
      required = false
    }
    before_stop {
      exec = ["/deregister"]
    }
    drain = "30s"
  }

  rollout {
    initial_batch    = 1
    growth           = 2
    max_unavailable  = 0
    min_healthy      = "10s"
    healthy_deadline = "5m"
    auto_revert      = true
  }

  lifecycle {
    prevent_destroy = true
  }
}
