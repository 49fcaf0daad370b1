registry "harbor" {
  username = "robot"
}
