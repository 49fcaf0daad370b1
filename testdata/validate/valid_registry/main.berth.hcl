variable "password" {
  type      = string
  sensitive = true
  default   = "secret"
}
registry "harbor" {
  address  = "harbor.example.com"
  username = "robot$deploy"
  password = var.password
}
registry "local" {
  address = "127.0.0.1:5000"
}
output "address" {
  value = registry.harbor.address
}
