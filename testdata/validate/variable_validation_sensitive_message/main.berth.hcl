# The error message interpolates a sensitive value: the message must not be
# printed as is (the corpus test fails if "hunter2" appears in any output).
variable "password" {
  type      = string
  sensitive = true
  default   = "hunter2"

  validation {
    condition     = !can(regex("^hunter[0-9]$", var.password))
    error_message = "The password ${var.password} is too well known."
  }
}
