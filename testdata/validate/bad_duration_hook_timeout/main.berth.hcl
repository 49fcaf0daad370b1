cluster "prod" {
  kubernetes {
    context = "prod"
  }
}

app "w" {
  cluster = cluster.prod
  image   = "nginx"
  hooks {
    before_stop {
      exec    = ["/x"]
      timeout = "soon"
    }
  }
}
