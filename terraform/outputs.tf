output "namespace" {
  description = "Namespace the platform runs in."
  value       = module.commerce_platform.namespace
}

output "release_name" {
  description = "Helm release name of the platform."
  value       = module.commerce_platform.release_name
}

output "gateway_url" {
  description = "In-cluster URL of the gateway."
  value       = module.commerce_platform.gateway_url
}

output "prometheus_url" {
  description = "In-cluster URL of Prometheus (null when monitoring is not installed here)."
  value       = module.commerce_platform.prometheus_url
}
