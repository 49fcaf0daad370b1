cluster "prod" {
  kubernetes {
    kubeconfig = "~/.kube/config"
    context    = "prod"
    namespace  = "shop"
  }
}

app "web" {
  for_each = ["a", "b"]
  cluster  = cluster.prod
  image    = "nginx:${each.key}"
}
