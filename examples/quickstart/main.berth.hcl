# The quickstart: one app on the local Docker engine, its image in a local
# registry. Validate it with:  berth -chdir=examples/quickstart validate

variable "docker_endpoint" {
  type        = string
  description = "The Docker Engine API of the one host."
  default     = "unix:///var/run/docker.sock"
}

variable "registry_host" {
  type    = string
  default = "127.0.0.1"
}

variable "registry_port" {
  type    = number
  default = 5000
}

variable "probe_path" {
  type        = string
  description = "The readiness probe's path. Set it to a path the app does not serve (-var probe_path=/nope) to see a failed rollout rolled back."
  default     = "/healthz"
}

variable "tag" {
  type        = string
  description = "The tag of the hello image to deploy."
  default     = "latest"
}

cluster "local" {
  docker {
    host "local" {
      endpoint = var.docker_endpoint
    }
  }
}

registry "local" {
  address = "${var.registry_host}:${var.registry_port}"
}

app "hello" {
  cluster  = cluster.local
  image    = "${registry.local.address}/hello:${var.tag}"
  replicas = 3

  port "http" {
    container = 8080
  }

  readiness {
    http {
      path = var.probe_path
      port = "http"
    }
    period  = "1s"
    timeout = "500ms"
  }

  # Waves of 1, then 2: each instance ready and healthy for 3s before the
  # next wave starts; a version that never gets ready is rolled back.
  rollout {
    initial_batch    = 1
    growth           = 2
    min_healthy      = "3s"
    healthy_deadline = "1m"
  }
}

output "image" {
  value = app.hello.image
}
