cluster "prod" {
  kubernetes {
    kubeconfig = "~/.kube/config"
    context    = "prod"
    namespace  = "shop"
  }
}

cluster "minimal" {
  kubernetes {
    context = "dev"
  }
}
