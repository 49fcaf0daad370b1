app "web" {
  cluster  = cluster.prod
  image    = "${registry.harbor.address}/shop/web:${var.tag}"
  replicas = 6
  command  = ["/web"]
  env = merge(local.common_env, {
    LOG_LEVEL = var.log_level
    SETTINGS  = jsonencode({ domain = local.domain, cache = true })
  })

  port "http" {
    container = 8080
  }
  port "metrics" {
    container = 9090
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

# One worker app per queue, on the Docker hosts.
app "worker" {
  for_each = var.workers

  cluster  = cluster.edge
  image    = "${registry.harbor.address}/shop/worker:${var.tag}"
  replicas = each.value.replicas
  command  = ["/worker", "-queue", each.value.queue]

  resources {
    cpu    = 0.5
    memory = "512Mi"
  }

  readiness {
    exec {
      command = ["/worker", "-check"]
    }
    period = "15s"
  }

  depends_on = [app.web]

  lifecycle {
    create_before_destroy = true
    ignore_changes        = [replicas]
  }
}

# A canary of the api, counted so it can be switched off with a variable.
app "api" {
  count = 2

  cluster  = cluster.prod
  image    = "${registry.harbor.address}/shop/api:${var.tag}"
  replicas = 1
  env      = { INSTANCE = tostring(count.index) }

  port "grpc" {
    container = 50051
  }

  # Docker hosts have no gRPC probe: the image ships grpc_health_probe.
  readiness {
    exec {
      command = ["/grpc_health_probe", "-addr=:50051", "-service=shop.Api"]
    }
    timeout = "2s"
  }
  # The api loads its catalogue at start: give it up to 5 minutes.
  startup {
    exec {
      command = ["/grpc_health_probe", "-addr=:50051"]
    }
    period            = "10s"
    failure_threshold = 30
  }
}

scaling_policy "web" {
  app = app.web
  min = 2
  max = 20
  metric "cpu" {
    target_utilization = 70
  }
  metric "concurrency" {
    target = 100
  }
  cooldown = "5m"
}
