cluster "prod" {
  docker {
    host "h1" { endpoint = "unix:///var/run/docker.sock" }
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
