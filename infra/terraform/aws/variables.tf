variable "name" {
  description = "Name prefix for every resource."
  type        = string
  default     = "fraud"
}

variable "region" {
  description = "AWS region."
  type        = string
  default     = "eu-west-1"
}

variable "tags" {
  description = "Extra tags on every resource."
  type        = map(string)
  default     = {}
}

# ---- network ----
variable "vpc_cidr" {
  description = "VPC CIDR block."
  type        = string
  default     = "10.40.0.0/16"
}

variable "az_count" {
  description = "Availability zones (3 for MSK with replication factor 3)."
  type        = number
  default     = 3
  validation {
    condition     = var.az_count >= 2 && var.az_count <= 3
    error_message = "az_count must be 2 or 3."
  }
}

# ---- EKS ----
variable "eks_version" {
  description = "Kubernetes version of the EKS control plane."
  type        = string
  default     = "1.31"
}

variable "node_instance_types" {
  description = "Instance types of the managed node group."
  type        = list(string)
  default     = ["m6i.xlarge"]
}

variable "node_min" {
  type    = number
  default = 3
}

variable "node_max" {
  type    = number
  default = 9
}

variable "node_desired" {
  type    = number
  default = 3
}

variable "eks_public_endpoint" {
  description = "Expose the EKS API endpoint publicly (restricted to eks_public_cidrs)."
  type        = bool
  default     = true
}

variable "eks_public_cidrs" {
  description = "CIDRs allowed to reach a public EKS API endpoint. Narrow this."
  type        = list(string)
  default     = []
}

# ---- MSK ----
variable "kafka_version" {
  description = "MSK Kafka version (the platform's client speaks the modern protocol; 3.6+ recommended)."
  type        = string
  default     = "3.8.x"
}

variable "kafka_instance_type" {
  type    = string
  default = "kafka.m7g.large"
}

variable "kafka_broker_count" {
  description = "Brokers, a multiple of az_count."
  type        = number
  default     = 3
}

variable "kafka_volume_gb" {
  type    = number
  default = 500
}

variable "kafka_partitions" {
  description = "Partitions of the pipeline topics: the processor's maximum useful replica count."
  type        = number
  default     = 12
}

# ---- Redis (feature store) ----
variable "redis_node_type" {
  type    = string
  default = "cache.r7g.large"
}

variable "redis_engine_version" {
  type    = string
  default = "7.1"
}

variable "redis_replicas" {
  description = "Read replicas per shard (>= 1 for automatic failover)."
  type        = number
  default     = 1
}

# ---- PostgreSQL (cases, labels, audit, lists) ----
variable "postgres_version" {
  type    = string
  default = "16.4"
}

variable "postgres_instance_class" {
  type    = string
  default = "db.r6g.large"
}

variable "postgres_storage_gb" {
  type    = number
  default = 100
}

variable "postgres_backup_retention_days" {
  description = "Automated backups and point-in-time recovery window."
  type        = number
  default     = 14
}

# ---- Neo4j ----
variable "neo4j_mode" {
  description = "\"helm\": Neo4j 5.26 Community as a Helm release in the cluster; \"external\": an existing database (e.g. Aura) given by neo4j_external_uri."
  type        = string
  default     = "helm"
  validation {
    condition     = contains(["helm", "external"], var.neo4j_mode)
    error_message = "neo4j_mode must be helm or external."
  }
}

variable "neo4j_chart_version" {
  description = "Version of the official neo4j/neo4j Helm chart (5.26.x = the 5.26 LTS server)."
  type        = string
  default     = "5.26.0"
}

variable "neo4j_volume_gb" {
  type    = number
  default = 100
}

variable "neo4j_external_uri" {
  description = "neo4j+s:// URI when neo4j_mode = external."
  type        = string
  default     = ""
}

variable "neo4j_external_password" {
  description = "Password when neo4j_mode = external."
  type        = string
  default     = ""
  sensitive   = true
}

# ---- the platform ----
variable "deploy_platform" {
  description = "Install the fraud-platform Helm chart (infra/helm/fraud-platform) into the cluster."
  type        = bool
  default     = false
}

variable "platform_image" {
  description = "Image repository of the platform (built from docker/Dockerfile)."
  type        = string
  default     = ""
}

variable "platform_image_tag" {
  type    = string
  default = "0.1.0"
}

variable "namespace" {
  type    = string
  default = "fraud"
}
