resource "kubernetes_namespace_v1" "platform" {
  metadata {
    name = var.namespace
    labels = {
      "app.kubernetes.io/part-of" = "commerce-platform"
    }
  }
}

resource "kubernetes_namespace_v1" "monitoring" {
  count = var.install_monitoring ? 1 : 0

  metadata {
    name = var.monitoring_namespace
  }
}

# kube-prometheus-stack selects ServiceMonitors and PrometheusRules labelled
# release=<its release name>; the platform chart adds that label.
resource "helm_release" "kube_prometheus_stack" {
  count = var.install_monitoring ? 1 : 0

  name       = "kube-prometheus-stack"
  repository = "https://prometheus-community.github.io/helm-charts"
  chart      = "kube-prometheus-stack"
  version    = var.kube_prometheus_stack_version
  namespace  = kubernetes_namespace_v1.monitoring[0].metadata[0].name

  values = [yamlencode({
    grafana = {
      sidecar = {
        dashboards = {
          enabled          = true
          label            = "grafana_dashboard"
          labelValue       = "1"
          searchNamespace  = "ALL"
          folderAnnotation = "grafana_folder"
          provider = {
            foldersFromFilesStructure = true
          }
        }
      }
    }
  })]
}

locals {
  platform_values = {
    image = {
      repository = var.image_repository
      tag        = var.image_tag
    }
    auth = {
      adminToken = var.admin_token
    }
    postgresql = {
      enabled  = var.bundle_dependencies
      external = { host = var.database_host, port = 5432 }
      auth     = { password = var.database_password }
    }
    kafka = {
      enabled  = var.bundle_dependencies
      external = { bootstrapServers = var.kafka_bootstrap_servers }
    }
    monitoring = {
      selectorLabels = { release = "kube-prometheus-stack" }
    }
    harness = {
      locust = { enabled = var.enable_locust }
      chaos  = { enabled = var.enable_chaos }
    }
  }
}

resource "helm_release" "commerce_platform" {
  name              = var.release_name
  chart             = var.chart_path
  namespace         = kubernetes_namespace_v1.platform.metadata[0].name
  dependency_update = var.bundle_dependencies

  values = concat([yamlencode(local.platform_values)], var.extra_values)

  # The ServiceMonitor and PrometheusRule kinds come with kube-prometheus-stack.
  depends_on = [helm_release.kube_prometheus_stack]
}
