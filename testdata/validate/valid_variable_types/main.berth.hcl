variable "name" {
  type = string
}
variable "replicas" {
  type    = number
  default = 3
}
variable "debug" {
  type    = bool
  default = false
}
variable "zones" {
  type    = list(string)
  default = ["a", "b"]
}
variable "labels" {
  type    = map(string)
  default = { team = "shop" }
}
variable "ports" {
  type    = set(number)
  default = [80, 443]
}
variable "pair" {
  type    = tuple([string, number])
  default = ["x", 1]
}
variable "limits" {
  type = object({
    cpu    = number
    memory = optional(string, "1Gi")
  })
  default = { cpu = 1 }
}
variable "anything" {
  type    = any
  default = { a = [1, 2] }
}
variable "untyped" {
  default = "no type given"
}
