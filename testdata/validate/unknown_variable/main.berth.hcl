cluster "prod" {
  kubernetes {
    kubeconfig = "~/.kube/config"
    context    = "prod"
    namespace  = "shop"
  }
}

variable "tag" {
  type    = string
  default = "1.0"
}
app "web" {
  cluster = cluster.prod
  image   = "nginx:${var.tga}"
}
