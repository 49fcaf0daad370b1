# An app on a Kubernetes cluster: a Deployment per revision, a Service for
# its named port, a pull Secret for its registry, a HorizontalPodAutoscaler
# for its scaling policy, and a ConfigMap beside it (kubernetes_manifest).
# docs/kubernetes.md walks through plan, apply, a rolling update and the
# autoscaler; run.sh does it against berth's test control plane.

variable "kubeconfig" {
  type        = string
  description = "kubeconfig of the cluster"
  default     = "~/.kube/config"
}

variable "namespace" {
  type    = string
  default = "shop"
}

variable "registry" {
  type        = string
  description = "registry host[:port] that serves the image (run.sh: the test registry)"
}

variable "registry_password" {
  type      = string
  sensitive = true
}

variable "tag" {
  type    = string
  default = "v1"
}

registry "shop" {
  address  = var.registry
  username = "berth"
  password = var.registry_password
}

cluster "prod" {
  kubernetes {
    kubeconfig = var.kubeconfig
    namespace  = var.namespace
  }
}

# The namespace, if berth should create it (a namespace another team owns
# is left out, and the cluster block names it).
resource "kubernetes_manifest" "namespace" {
  cluster = cluster.prod
  manifest = {
    apiVersion = "v1"
    kind       = "Namespace"
    metadata   = { name = var.namespace }
  }
}

app "web" {
  cluster    = cluster.prod
  depends_on = [kubernetes_manifest.namespace]
  image      = "${registry.shop.address}/berth/testserver:${var.tag}"
  replicas   = 4
  env        = { LOG_LEVEL = "info" }

  port "http" {
    container = 8080
  }

  resources {
    cpu            = 1
    memory         = "512Mi"
    cpu_overcommit = 4 # requests 250m
  }

  readiness {
    http {
      path = "/ready"
      port = "http"
    }
    period = "2s"
  }

  rollout {
    initial_batch    = 1
    growth           = 2 # waves of 1, 2, 1 for 4 replicas
    min_healthy      = "2s"
    healthy_deadline = "2m"
    auto_revert      = true
  }
}

scaling_policy "web" {
  app = app.web
  min = 2
  max = 10
  metric "cpu" {
    target_utilization = 70
  }
}

resource "kubernetes_manifest" "settings" {
  cluster    = cluster.prod
  depends_on = [kubernetes_manifest.namespace]
  manifest = {
    apiVersion = "v1"
    kind       = "ConfigMap"
    metadata   = { name = "web-settings" }
    data       = { feature_x = "on" }
  }
}

output "deployment" {
  value = app.web.deployment_id
}
