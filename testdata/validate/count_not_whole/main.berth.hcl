cluster "prod" {
  kubernetes {
    context = "prod"
  }
}
probe "health" {
  tcp {
    port = 80
  }
}

app "w" {
  count   = 1.5
  cluster = cluster.prod
  image   = "nginx"
}
