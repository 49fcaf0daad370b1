cluster "prod" {
  docker {
    host "h1" {
      endpoint = "unix:///var/run/docker.sock"
    }
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
