variable "password" {
  type      = string
  sensitive = true
  default   = "correct horse battery staple"

  validation {
    condition     = length(var.password) >= 12
    error_message = "The password needs at least 12 characters."
  }
}

locals {
  # length counts the characters of a string, as in Terraform.
  name_length = length("shop-web")
}
