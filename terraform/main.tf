# The platform chart and kube-prometheus-stack, installed through the helm provider.
module "commerce_platform" {
  source = "./modules/commerce-platform"

  namespace                     = var.namespace
  monitoring_namespace          = var.monitoring_namespace
  install_monitoring            = var.install_monitoring
  kube_prometheus_stack_version = var.kube_prometheus_stack_version
  release_name                  = var.release_name
  chart_path                    = "${path.root}/../helm/commerce-platform"
  image_repository              = var.image_repository
  image_tag                     = var.image_tag
  admin_token                   = var.admin_token
  database_host                 = var.database_host
  database_password             = var.database_password
  kafka_bootstrap_servers       = var.kafka_bootstrap_servers
  bundle_dependencies           = var.bundle_dependencies
  enable_locust                 = var.enable_locust
  enable_chaos                  = var.enable_chaos
  extra_values                  = var.extra_values
}
