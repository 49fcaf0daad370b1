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

output "image" {
  value       = app.web.image
  description = "The image the web app runs."
}
output "static" {
  value      = "fixed"
  depends_on = [app.web]
}
output "secret" {
  value     = "hunter2"
  sensitive = true
}
