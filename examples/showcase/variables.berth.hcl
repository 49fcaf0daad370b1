variable "tag" {
  type        = string
  description = "The image tag of the shop's services."
  default     = "1.4.2"

  validation {
    condition     = can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+$", var.tag))
    error_message = "The tag must be a semantic version such as 1.4.2."
  }
}

variable "password" {
  type      = string
  sensitive = true
  default   = "not-a-real-secret"
}

variable "workers" {
  type = map(object({
    queue    = string
    replicas = optional(number, 1)
  }))
  default = {
    mail    = { queue = "mail" }
    reports = { queue = "reports", replicas = 2 }
  }
}

variable "log_level" {
  type     = string
  default  = "info"
  nullable = false
}
