cluster "prod" {
  kubernetes {
    context = "prod"
  }
}

app "web" {
  cluster = cluster.prod
  image   = "nginx:1.27"
  lifecyle {
    prevent_destroy = true
  }
}
