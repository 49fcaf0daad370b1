cluster "prod" {
  kubernetes {
    kubeconfig = "~/.kube/config"
    context    = "prod"
    namespace  = "shop"
  }
}

app "svc" {
  for_each = toset(["cart", "checkout"])
  cluster  = cluster.prod
  image    = "registry.example.com/shop/${each.key}:1.0"
}
