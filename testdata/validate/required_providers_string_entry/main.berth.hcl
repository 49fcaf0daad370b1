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
  required_providers {
    acmedns = "acme/dns"
  }
}
