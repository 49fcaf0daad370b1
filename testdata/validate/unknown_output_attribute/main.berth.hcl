cluster "prod" {
  kubernetes {
    context = "prod"
  }
}
probe "health" {
  tcp {
    port = 80
  }
}

output "x" {
  value    = 1
  sensitiv = true
}
