cluster "prod" {
  kubernetes {
    kubeconfig = "~/.kube/config"
    context    = "prod"
    namespace  = "shop"
  }
}

app "web" {
  cluster  = cluster.prod
  image    = "nginx:1.27"
  replicas = 99999999999999999999999999
}
