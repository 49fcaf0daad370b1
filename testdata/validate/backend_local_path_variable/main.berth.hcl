variable "env" {
  default = "prod"
}

berth {
  backend "local" {
    path = "${var.env}.state"
  }
}
