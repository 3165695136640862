output "cluster_name" {
  description = "EKS cluster: aws eks update-kubeconfig --name <this>."
  value       = module.eks.cluster_name
}

output "kafka_bootstrap_brokers_tls" {
  description = "config.kafkaBrokers for the Helm chart (TLS listener, port 9094)."
  value       = module.msk.bootstrap_brokers_tls
}

output "redis_primary_endpoint" {
  value = module.redis.primary_endpoint
}

output "postgres_address" {
  value = module.rds.address
}

output "postgres_master_secret_arn" {
  description = "Secrets Manager secret with the RDS master credentials (rotated by RDS)."
  value       = module.rds.master_secret_arn
}

output "neo4j_uri" {
  value = local.neo4j_uri
}

output "platform_secret" {
  description = "Kubernetes Secret for the chart's secrets.existingSecret."
  value       = "${kubernetes_namespace.fraud.metadata[0].name}/${kubernetes_secret.platform.metadata[0].name}"
}

output "helm_values_hint" {
  description = "Values to pass to infra/helm/fraud-platform when deploy_platform = false."
  value = {
    "config.kafkaBrokers"    = module.msk.bootstrap_brokers_tls
    "config.kafkaTls"        = true
    "config.partitions"      = var.kafka_partitions
    "config.neo4jUri"        = local.neo4j_uri
    "secrets.existingSecret" = kubernetes_secret.platform.metadata[0].name
  }
}
