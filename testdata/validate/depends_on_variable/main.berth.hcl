cluster "prod" {
  kubernetes {
    context = "prod"
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
