cluster "edge" {
  docker {
    host "edge-1" {
      endpoint = "tcp://10.0.0.11:2376"
    }
  }
}

berth {
  required_providers {
    acmelb = { source = "acme/lb" }
  }
}

provider "acmelb" {
  region = "eu-west-1"
}

app "api" {
  cluster = cluster.edge
  image   = "registry.example.com/api:1.0"

  port "http" {
    container = 8080
  }
}

load_balancer "api" {
  provider        = acmelb
  type            = "network"
  internal        = true
  subnets         = ["subnet-1", "subnet-2"]
  security_groups = ["sg-1"]
  tags            = { team = "shop" }

  listener {
    port     = 443
    protocol = "TLS"
  }
  target {
    app  = app.api
    port = "http"
  }
  health_check {
    period            = "15s"
    timeout           = "5s"
    success_threshold = 2
    failure_threshold = 3
    http {
      path   = "/healthz"
      port   = "http"
      scheme = "HTTP"
      status = [200, 204]
    }
  }
  deregistration_delay = "10s"
}
