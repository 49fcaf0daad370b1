locals {
  name = "${local.name}-x"
}
