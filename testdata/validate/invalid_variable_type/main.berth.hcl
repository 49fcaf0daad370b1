variable "name" {
  type = strin
}
