locals {
  env    = "prod"
  prefix = "shop-${local.env}"
}
locals {
  names = [for n in ["web", "api"] : "${local.prefix}-${n}"]
  count = length(local.names)
}
output "names" {
  value = local.names
}
