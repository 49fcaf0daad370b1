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
  required_version = ">= 0.1"
}
berth {
  backend "local" {
    path = "a"
  }
}
