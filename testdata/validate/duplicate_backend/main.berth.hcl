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

berth {
  backend "local" {
    path = "a"
  }
  backend "s3" {
    bucket = "b"
  }
}
