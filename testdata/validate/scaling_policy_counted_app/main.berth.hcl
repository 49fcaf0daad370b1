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

# A scaling policy scales one app, and app.web is two.
scaling_policy "web" {
  app = app.web
  max = 3
  metric "cpu" {
    target_utilization = 50
  }
}
