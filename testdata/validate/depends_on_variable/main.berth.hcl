cluster "prod" {
  docker {
    host "h1" { endpoint = "unix:///var/run/docker.sock" }
  }
}

variable "after" {
  type    = string
  default = "web"
}

app "api" {
  cluster    = cluster.prod
  image      = "nginx:1.27"
  depends_on = [var.after]
}
