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
  cluster = cluster.prod
  image   = "nginx"
  hooks {
    drain = "-5s"
  }
}
