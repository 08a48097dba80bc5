output "namespace" {
  description = "Namespace the platform runs in."
  value       = kubernetes_namespace_v1.platform.metadata[0].name
}

output "release_name" {
  description = "Helm release name of the platform."
  value       = helm_release.commerce_platform.name
}

output "gateway_url" {
  description = "In-cluster URL of the gateway."
  value       = "http://${var.release_name}-commerce-platform-gateway.${var.namespace}.svc:8000"
}

output "prometheus_url" {
  description = "In-cluster URL of Prometheus (null when monitoring is not installed here)."
  value       = var.install_monitoring ? "http://kube-prometheus-stack-prometheus.${var.monitoring_namespace}.svc:9090" : null
}
