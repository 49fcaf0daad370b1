output "url" {
  value       = "http://${app.web.instances[0].addresses["http"].ip}:${app.web.instances[0].addresses["http"].port}"
  description = "Where one instance of the shop answers."
}

output "registry_password" {
  value     = var.password
  sensitive = true
}

output "worker_queues" {
  value = [for name, w in var.workers : w.queue]
}
