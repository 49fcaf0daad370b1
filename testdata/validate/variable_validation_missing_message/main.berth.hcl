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

variable "x" {
  default = 1
  validation {
    condition = var.x > 0
  }
}
