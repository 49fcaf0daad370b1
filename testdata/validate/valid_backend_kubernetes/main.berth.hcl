berth {
  backend "kubernetes" {
    secret_suffix = "shop"
    namespace     = "berth"
  }
}
