cluster "prod" {
  kubernetes {
    kubeconfig = "~/.kube/config"
    context    = "prod"
    namespace  = "shop"
  }
}
app "web" {
  cluster  = cluster.prod
  image    = "registry.example.com/shop/web:1.0"
  replicas = 2

  port "http" {
    container = 8080
  }
}

provider "aws" {
  region = "eu-west-1"
}
load_balancer "web" {
  provider = aws
  target {
    app  = app.web
    port = "http"
  }
}
