variable "tag" {
  type = string
}
output "tag" {
  value = var.tag
}
