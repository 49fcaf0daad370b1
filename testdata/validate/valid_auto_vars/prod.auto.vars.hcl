tag      = "2.0"
replicas = 4
