locals {
  merged = merge("a", { b = 1 })
}
