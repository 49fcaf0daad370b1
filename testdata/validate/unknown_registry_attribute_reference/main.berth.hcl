cluster "prod" {
  docker {
    host "h1" {
      endpoint = "unix:///var/run/docker.sock"
    }
  }
}

registry "harbor" {
  address = "harbor.example.com"
}
app "web" {
  cluster = cluster.prod
  image   = "${registry.harbor.adress}/web:1.0"
}
