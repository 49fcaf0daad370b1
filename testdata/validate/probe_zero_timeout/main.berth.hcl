cluster "prod" {
  kubernetes {
    kubeconfig = "~/.kube/config"
    context    = "prod"
    namespace  = "shop"
  }
}

probe "health" {
  period  = "10s"
  timeout = "0s"
  http {
    port   = 8080
    status = [200, 700]
  }
}
