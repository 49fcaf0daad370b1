berth {
  backend "s3" {
    bucket = "berth-state"
    key    = "shop/berth.state"
    region = "eu-west-1"
  }
}
