cluster "prod" {
  kubernetes {
    context = "prod"
  }
}

cluster "edge" {
  docker {
  }
}
