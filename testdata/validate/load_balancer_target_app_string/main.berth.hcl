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

provider "aws" {
  region = "x"
}
load_balancer "x" {
  provider = aws
  listener {
    port = 80
  }
  target {
    app  = "web"
    port = "http"
  }
}
