locals {
  name = "web
}
