berth {
  backend "postgres" {
    conn_str = "postgres://berth@db.example.com/berth"
  }
}
