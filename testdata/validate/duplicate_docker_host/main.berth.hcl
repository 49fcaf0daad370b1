cluster "prod" {
  kubernetes {
    context = "prod"
  }
}

cluster "edge" {
  docker {
    host "a" {
      endpoint = "unix:///x"
    }
    host "a" {
      endpoint = "unix:///y"
    }
  }
}
