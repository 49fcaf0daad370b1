cluster "prod" {
  docker {
    host "h1" { endpoint = "unix:///var/run/docker.sock" }
  }
}

app "web" {
  count   = 2
  cluster = cluster.prod
  image   = "nginx:1.27"
}

# app.web has count: its attributes are those of one instance, app.web[0].
output "image" {
  value = app.web.image
}
