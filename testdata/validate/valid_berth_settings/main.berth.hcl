berth {
  required_version = ">= 0.1"
  required_providers {
    acmedns = { source = "acme/dns", version = "~> 1.2" }
    corpdns = {
      source  = "corp/dns"
      version = ">= 0.3, < 2.0"
    }
  }
  backend "local" {
    path = "berth.state"
  }
}
