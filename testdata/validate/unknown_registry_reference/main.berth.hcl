cluster "prod" {
  kubernetes {
    kubeconfig = "~/.kube/config"
    context    = "prod"
    namespace  = "shop"
  }
}

registry "harbor" {
  address = "harbor.example.com"
}
app "web" {
  cluster = cluster.prod
  image   = "${registry.habor.address}/web:1.0"
}
