cluster "edge" {
  docker {
    host "edge-1" {
      endpoint = "unix:///var/run/docker.sock"
    }
  }
}

variable "queues" {
  type = map(number)
  default = {
    mail    = 1
    reports = 2
  }
}
app "worker" {
  for_each = var.queues
  cluster  = cluster.edge
  image    = "registry.example.com/shop/worker:1.0"
  replicas = each.value
  command  = ["/worker", "-queue", each.key]
}
output "mail_image" {
  value = app.worker["mail"].image
}
