cluster "prod" {
  docker {
    host "h1" { endpoint = "unix:///var/run/docker.sock" }
  }
}
probe "health" {
  tcp {
    port = 80
  }
}

scaling_policy "x" {
  app = cluster.prod
  max = 2
  metric "cpu" {
    target_utilization = 50
  }
}
