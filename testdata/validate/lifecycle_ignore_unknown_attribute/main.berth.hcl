cluster "prod" {
  kubernetes {
    context = "prod"
  }
}

app "web" {
  cluster  = cluster.prod
  image    = "nginx:1.27"
  replicas = 2
  lifecycle {
    ignore_changes = [replicaz]
  }
}
