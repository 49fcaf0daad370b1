cluster "edge" {
  docker {
    host "edge-1" {
      labels = { pool = "core" }
    }
  }
}
