# The showcase: every block of berth's language in one configuration.
# Validate it with:  berth -chdir=examples/showcase validate

berth {
  required_version = ">= 0.1"
  required_providers {
    acmedns = { source = "acme/dns", version = "~> 1.2" }
  }
  backend "local" {
    path = "berth.state"
  }
}

locals {
  env    = "prod"
  domain = "shop.example.com"
  common_env = {
    ENVIRONMENT = local.env
    LOG_FORMAT  = "json"
  }
}
