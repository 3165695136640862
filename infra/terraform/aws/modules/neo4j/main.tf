# Neo4j 5.26 LTS Community as a Helm release of the official chart (helm.neo4j.com), on an
# encrypted gp3 volume. Community edition is a single instance (no clustering, no online
# backup): for HA or managed operations use Neo4j Aura (neo4j_mode = "external") or
# Enterprise. Bolt stays inside the cluster; the password is generated here.

terraform {
  required_providers {
    helm       = { source = "hashicorp/helm" }
    kubernetes = { source = "hashicorp/kubernetes" }
    random     = { source = "hashicorp/random" }
  }
}

variable "name" { type = string }
variable "namespace" { type = string }
variable "chart_version" { type = string }
variable "volume_gb" { type = number }
variable "kms_key_arn" { type = string }

resource "random_password" "neo4j" {
  length  = 32
  special = false
}

resource "kubernetes_secret" "auth" {
  metadata {
    name      = "${var.name}-neo4j-auth"
    namespace = var.namespace
  }
  # The official chart reads NEO4J_AUTH as "neo4j/<password>".
  data = {
    NEO4J_AUTH = "neo4j/${random_password.neo4j.result}"
  }
}

resource "kubernetes_storage_class_v1" "encrypted_gp3" {
  metadata {
    name = "${var.name}-neo4j-gp3"
  }
  storage_provisioner    = "ebs.csi.aws.com"
  reclaim_policy         = "Retain"
  volume_binding_mode    = "WaitForFirstConsumer"
  allow_volume_expansion = true
  parameters = {
    type      = "gp3"
    encrypted = "true"
    kmsKeyId  = var.kms_key_arn
  }
}

resource "helm_release" "neo4j" {
  name       = "${var.name}-neo4j"
  namespace  = var.namespace
  repository = "https://helm.neo4j.com/neo4j"
  chart      = "neo4j"
  version    = var.chart_version

  values = [yamlencode({
    neo4j = {
      name               = "${var.name}-neo4j"
      edition            = "community"
      passwordFromSecret = kubernetes_secret.auth.metadata[0].name
      resources          = { cpu = "2", memory = "8Gi" }
    }
    volumes = {
      data = {
        mode = "dynamic"
        dynamic = {
          storageClassName = kubernetes_storage_class_v1.encrypted_gp3.metadata[0].name
          requests         = { storage = "${var.volume_gb}Gi" }
        }
      }
    }
    config = {
      "server.memory.heap.initial_size"     = "3G"
      "server.memory.heap.max_size"         = "3G"
      "server.memory.pagecache.size"        = "3G"
      "db.tx_log.rotation.retention_policy" = "2 days"
    }
    services = {
      neo4j = { enabled = false } # no LoadBalancer: Bolt only inside the cluster
    }
  })]
}

output "bolt_uri" {
  # The chart's headless/admin service for in-cluster Bolt.
  value = "neo4j://${var.name}-neo4j.${var.namespace}.svc.cluster.local:7687"
}

output "password" {
  value     = random_password.neo4j.result
  sensitive = true
}
