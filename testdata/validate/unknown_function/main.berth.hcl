locals {
  doc = jsonencod({ a = 1 })
}
