cluster "prod" {
  docker {
    host "h1" {
      endpoint = "unix:///var/run/docker.sock"
    }
  }
}

variable "tag" {
  type    = string
  default = "1.0"
}
app "web" {
  cluster = cluster.prod
  image   = "nginx:${var.tga}"
}
