cluster "prod" {
  docker {
    host "h1" {
      endpoint = "unix:///var/run/docker.sock"
    }
  }
}

app "web" {
  cluster = cluster.prod
  image   = "nginx:1.27"
}

scaling_policy "web" {
  app = app.web
  max = 10
  metric "cpux" {
    target_utilization = 70
  }
}
