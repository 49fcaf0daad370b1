cluster "edge" {
  docker {
    host "h1" { endpoint = "unix:///var/run/docker.sock" }
  }
}

app "api" {
  cluster = cluster.edge
  image   = "registry.test/api:v1"
  port "grpc" {
    container = 50051
  }
  readiness {
    grpc {
      port = "grpc"
    }
  }
}
