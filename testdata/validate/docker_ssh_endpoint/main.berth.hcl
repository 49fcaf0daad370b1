cluster "edge" {
  docker {
    host "h1" { endpoint = "unix:///var/run/docker.sock" }
    host "h2" { endpoint = "ssh://deploy@edge-2" }
  }
}
