output "url" {
  value       = "http://${load_balancer.web.dns_name}"
  description = "Where the shop answers."
}

output "registry_password" {
  value     = var.password
  sensitive = true
}

output "worker_queues" {
  value = [for name, w in var.workers : w.queue]
}
