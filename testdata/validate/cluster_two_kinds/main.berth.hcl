cluster "prod" {
  kubernetes {
    context = "prod"
  }
  docker {
    host "a" {
      endpoint = "unix:///var/run/docker.sock"
    }
  }
}
