apps "web" {
  image = "nginx:1.27"
}
