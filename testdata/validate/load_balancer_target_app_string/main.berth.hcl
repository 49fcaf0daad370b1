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

provider "acmelb" {
  region = "x"
}
load_balancer "x" {
  provider = acmelb
  listener {
    port = 80
  }
  target {
    app  = "web"
    port = "http"
  }
}
