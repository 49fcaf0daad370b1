cluster "prod" {
  docker {
    host "h1" {
      endpoint = "unix:///var/run/docker.sock"
    }
  }
}

app "web" {
  cluster  = cluster.prod
  image    = "nginx:1.27"
  replicas = "six"
}
