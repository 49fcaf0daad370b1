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
  required_providers {
    acmedns = "acme/dns"
  }
}
