cluster "prod" {
  docker {
    host "h1" {
      endpoint = "unix:///var/run/docker.sock"
    }
  }
}

locals {
  first  = coalesce("", "x")
  hash   = sha256("a")
  only   = one(["a"])
  total  = sum([1, 2])
  ok     = alltrue([true]) && anytrue([true]) && strcontains("ab", "b")
  query  = urlencode("a b")
  later  = timeadd("2024-01-01T00:00:00Z", "1h")
  config = pathexpand("~/.kube/config")
  dir    = dirname(basename("a/b"))
  host   = cidrhost("10.0.0.0/24", 5)
  subnet = cidrsubnet("10.0.0.0/16", 8, 2)
  yaml   = yamldecode(yamlencode({ a = 1 }))
}

output "subnet" {
  value = local.subnet
}
