variable "namespace" {
  description = "Namespace the platform is installed into."
  type        = string
}

variable "monitoring_namespace" {
  description = "Namespace of kube-prometheus-stack."
  type        = string
}

variable "install_monitoring" {
  description = "Install kube-prometheus-stack."
  type        = bool
}

variable "kube_prometheus_stack_version" {
  description = "Version of the kube-prometheus-stack chart."
  type        = string
}

variable "release_name" {
  description = "Helm release name of the platform."
  type        = string
}

variable "chart_path" {
  description = "Path of the commerce-platform chart."
  type        = string
}

variable "image_repository" {
  description = "Image repository of the platform."
  type        = string
}

variable "image_tag" {
  description = "Image tag of the platform (empty for the chart's appVersion)."
  type        = string
}

variable "admin_token" {
  description = "X-Admin-Token of the services' /admin routes."
  type        = string
  sensitive   = true

  validation {
    condition     = length(var.admin_token) >= 8
    error_message = "admin_token must be at least 8 characters."
  }
}

variable "database_host" {
  description = "Host of the external PostgreSQL server."
  type        = string
}

variable "database_password" {
  description = "Password of the commerce database role."
  type        = string
  sensitive   = true

  validation {
    condition     = can(regex("^[A-Za-z0-9._~-]+$", var.database_password))
    error_message = "database_password must be non-empty and URL-safe (letters, digits, . _ ~ -)."
  }
}

variable "kafka_bootstrap_servers" {
  description = "Bootstrap servers of the external Kafka cluster."
  type        = string
}

variable "bundle_dependencies" {
  description = "Install PostgreSQL and Kafka as chart dependencies."
  type        = bool
}

variable "enable_locust" {
  description = "Run Locust against the gateway."
  type        = bool
}

variable "enable_chaos" {
  description = "Run the Kubernetes chaos experiments as a Job."
  type        = bool
}

variable "extra_values" {
  description = "Further chart values (YAML documents) merged after the generated ones."
  type        = list(string)
}
