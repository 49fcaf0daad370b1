variable "tag" {
  type = string
}
variable "tag" {
  type = number
}
