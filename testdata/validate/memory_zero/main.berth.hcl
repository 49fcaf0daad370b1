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

  resources {
    cpu    = -1
    memory = "0"
  }
}
