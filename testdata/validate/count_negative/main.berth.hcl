cluster "prod" {
  kubernetes {
    kubeconfig = "~/.kube/config"
    context    = "prod"
    namespace  = "shop"
  }
}

app "web" {
  count   = -1
  cluster = cluster.prod
  image   = "nginx:1.27"
}
