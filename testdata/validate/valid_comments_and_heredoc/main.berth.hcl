cluster "prod" {
  kubernetes {
    kubeconfig = "~/.kube/config"
    context    = "prod"
    namespace  = "shop"
  }
}

// Comments of every style are allowed.
/* block comment */
app "web" {
  cluster = cluster.prod # trailing comment
  image   = "nginx:1.27"
  command = ["/bin/sh", "-c", <<-EOT
    echo starting
    exec nginx -g 'daemon off;'
    EOT
  ]
}
