output "image" {
  value = app.web.image
}
