cluster "prod" {
  docker {
    host "h1" {
      endpoint = "unix:///var/run/docker.sock"
    }
  }
}

variable "shards" {
  type    = number
  default = 3
}
app "shard" {
  count    = var.shards
  cluster  = cluster.prod
  image    = "registry.example.com/shop/shard:1.0"
  env      = { SHARD = tostring(count.index) }
  replicas = 1
}
output "first_shard_image" {
  value = app.shard[0].image
}
