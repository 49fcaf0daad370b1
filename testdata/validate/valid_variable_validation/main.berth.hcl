variable "replicas" {
  type    = number
  default = 3
  validation {
    condition     = var.replicas >= 1
    error_message = "At least one replica is needed."
  }
  validation {
    condition     = var.replicas <= 100
    error_message = "At most 100 replicas."
  }
}
variable "env" {
  type = string
  validation {
    condition     = contains(["dev", "prod"], var.env)
    error_message = "env must be dev or prod."
  }
}
