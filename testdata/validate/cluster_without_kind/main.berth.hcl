cluster "prod" {
}
