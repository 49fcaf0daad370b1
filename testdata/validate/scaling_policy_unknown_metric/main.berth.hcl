cluster "prod" {
  kubernetes {
    kubeconfig = "~/.kube/config"
    context    = "prod"
    namespace  = "shop"
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
