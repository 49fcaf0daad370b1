cluster "edge" {
  docker {
    host "edge-1" {
      endpoint = "tcp://10.0.0.11:2376"
      labels   = { pool = "core" }
      tls {
        ca_file   = "ca.pem"
        cert_file = "cert.pem"
        key_file  = "key.pem"
      }
    }
    host "edge-2" {
      endpoint = "unix:///var/run/docker.sock"
      labels   = { pool = "batch" }
    }
  }
}
