variable "password" {
  type        = string
  description = "The registry password."
  sensitive   = true
}
variable "region" {
  type     = string
  default  = "eu-west-1"
  nullable = false
}
variable "optional_note" {
  type     = string
  default  = null
  nullable = true
}
output "password" {
  value     = var.password
  sensitive = true
}
