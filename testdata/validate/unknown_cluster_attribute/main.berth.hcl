cluster "prod" {
  kubernetes {
    kubecontext = "prod"
  }
}
