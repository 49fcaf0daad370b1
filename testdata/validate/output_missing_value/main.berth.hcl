output "url" {
  description = "no value"
}
