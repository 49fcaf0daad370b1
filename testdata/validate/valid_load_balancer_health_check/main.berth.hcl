cluster "edge" {
  docker {
    host "edge-1" {
      endpoint = "tcp://10.0.0.11:2376"
    }
  }
}

provider "aws" {
  region = "eu-west-1"
}

app "api" {
  cluster = cluster.edge
  image   = "registry.example.com/api:1.0"

  port "http" {
    container = 8080
    host      = 18080
  }
}

load_balancer "api" {
  provider        = aws
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
    path                = "/healthz"
    port                = "http"
    protocol            = "HTTP"
    interval            = "15s"
    timeout             = "5s"
    healthy_threshold   = 2
    unhealthy_threshold = 3
    matcher             = "200-299"
  }
  deregistration_delay = "10s"
}
