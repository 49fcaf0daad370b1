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

app "web" {
  cluster   = cluster.prod
  image     = "nginx"
  readiness = probe.health
  readiness {
    tcp {
      port = 80
    }
  }
}
