cluster "prod" {
  kubernetes {
    kubeconfig = "~/.kube/config"
    context    = "prod"
    namespace  = "shop"
  }
}

app "web" {
  cluster      = cluster.prod
  image        = "nginx:1.27"
  image_digest = "sha256:0000000000000000000000000000000000000000000000000000000000000000"
}
