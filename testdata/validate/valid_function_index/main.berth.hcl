# index(list, value) is the position of value in list, as in Terraform
# (not cty's index(collection, key), which is element lookup).
locals {
  zones = ["eu-west-1a", "eu-west-1b"]
  first = index(local.zones, "eu-west-1b")
}
