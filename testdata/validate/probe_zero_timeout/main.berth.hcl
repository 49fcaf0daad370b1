cluster "prod" {
  docker {
    host "h1" {
      endpoint = "unix:///var/run/docker.sock"
    }
  }
}

probe "health" {
  period  = "10s"
  timeout = "0s"
  http {
    port   = 8080
    status = [200, 700]
  }
}
