cluster "prod" {
  kubernetes {
    context = "prod"
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
