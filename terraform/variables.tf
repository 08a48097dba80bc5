variable "kubeconfig_path" {
  description = "Path of the kubeconfig used to reach the cluster."
  type        = string
  default     = "~/.kube/config"
}

variable "kube_context" {
  description = "Kubeconfig context to use (null for the current one)."
  type        = string
  default     = null
}

variable "namespace" {
  description = "Namespace the platform is installed into (created by the module)."
  type        = string
  default     = "commerce"
}

variable "monitoring_namespace" {
  description = "Namespace of kube-prometheus-stack (created by the module)."
  type        = string
  default     = "monitoring"
}

variable "install_monitoring" {
  description = "Install kube-prometheus-stack; false when the cluster already runs it."
  type        = bool
  default     = true
}

variable "kube_prometheus_stack_version" {
  description = "Version of the kube-prometheus-stack chart."
  type        = string
  default     = "75.15.1"
}

variable "release_name" {
  description = "Helm release name of the platform."
  type        = string
  default     = "commerce"
}

variable "image_repository" {
  description = "Image repository built from the repository's Dockerfile."
  type        = string
  default     = "ghcr.io/commerce-reliability-harness/commerce-platform"
}

variable "image_tag" {
  description = "Image tag of the platform (empty for the chart's appVersion)."
  type        = string
  default     = ""
}

variable "admin_token" {
  description = "X-Admin-Token of the services' /admin routes."
  type        = string
  sensitive   = true
}

variable "database_host" {
  description = "Host of the external PostgreSQL server (ignored when bundle_dependencies is true)."
  type        = string
  default     = "postgresql"
}

variable "database_password" {
  description = "Password of the commerce database role (URL-safe characters)."
  type        = string
  sensitive   = true
}

variable "kafka_bootstrap_servers" {
  description = "Bootstrap servers of the external Kafka cluster (ignored when bundle_dependencies is true)."
  type        = string
  default     = "kafka:9092"
}

variable "bundle_dependencies" {
  description = "Install PostgreSQL and Kafka as chart dependencies instead of using external ones."
  type        = bool
  default     = false
}

variable "enable_locust" {
  description = "Run the Locust master and workers against the gateway."
  type        = bool
  default     = false
}

variable "enable_chaos" {
  description = "Run the Kubernetes chaos experiments as a Job."
  type        = bool
  default     = false
}

variable "extra_values" {
  description = "Further chart values (YAML documents) merged after the generated ones."
  type        = list(string)
  default     = []
}
