cluster "prod" {
  docker {
    host "h1" {
      endpoint = "unix:///var/run/docker.sock"
    }
  }
}
app "web" {
  cluster  = cluster.prod
  image    = "registry.example.com/shop/web:1.0"
  replicas = 2

  port "http" {
    container = 8080
  }
}

variable "subnets" {
  type    = list(string)
  default = ["subnet-1", "subnet-2"]
}
provider "acmelb" {
  region = "eu-west-1"
}
load_balancer "web" {
  provider = acmelb
  type     = "application"
  subnets  = var.subnets
  listener {
    port     = 80
    protocol = "HTTP"
  }
  listener {
    port     = 8080
    protocol = "HTTP"
  }
  target {
    app  = app.web
    port = "http"
  }
  deregistration_delay = "30s"
}
output "dns_name" {
  value = load_balancer.web.dns_name
}
