locals {
  env = "prod"
}
locals {
  env = "dev"
}
