cluster "prod" {
  docker {
    host "h1" { endpoint = "unix:///var/run/docker.sock" }
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
