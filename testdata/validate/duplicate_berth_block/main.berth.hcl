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

berth {
  required_version = ">= 0.1"
}
berth {
  backend "local" {
    path = "a"
  }
}
