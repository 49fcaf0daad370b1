cluster "prod" {
  kubernetes {
    kubeconfig = "~/.kube/config"
    context    = "prod"
    namespace  = "shop"
  }
}

app "web" {
  count    = 2
  for_each = toset(["a", "b"])
  cluster  = cluster.prod
  image    = "nginx:1.27"
}
