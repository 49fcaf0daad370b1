cluster "prod" {
  docker {
    host "h1" { endpoint = "unix:///var/run/docker.sock" }
  }
}
app "web" {
  cluster = cluster.prod
  image   = "registry.example.com/shop/web:1.0"

  port "http" {
    container = 8080
  }
}

load_balancer "web" {
  listener {
    port = 80
  }
  target {
    app  = app.web
    port = "http"
  }
}
