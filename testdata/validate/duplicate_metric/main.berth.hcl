cluster "prod" {
  docker {
    host "h1" { endpoint = "unix:///var/run/docker.sock" }
  }
}

app "w" {
  cluster = cluster.prod
  image   = "nginx"
}
scaling_policy "w" {
  app = app.w
  max = 3
  metric "cpu" {
    target_utilization = 50
  }
  metric "cpu" {
    target_utilization = 60
  }
}
