# AWS deployment of the fraud platform: VPC, EKS (the platform's pods), MSK (Kafka), ElastiCache
# Redis (feature store), RDS PostgreSQL (cases, labels, audit), Neo4j (Helm release or external).
# Every data service is private, encrypted at rest with a customer-managed KMS key, and
# TLS-only in transit.

data "aws_availability_zones" "available" {
  state = "available"
}

locals {
  azs             = slice(data.aws_availability_zones.available.names, 0, var.az_count)
  private_subnets = [for i in range(var.az_count) : cidrsubnet(var.vpc_cidr, 4, i)]
  public_subnets  = [for i in range(var.az_count) : cidrsubnet(var.vpc_cidr, 8, 200 + i)]
}

# ---- network ----
module "vpc" {
  source  = "terraform-aws-modules/vpc/aws"
  version = "~> 5.16"

  name            = "${var.name}-vpc"
  cidr            = var.vpc_cidr
  azs             = local.azs
  private_subnets = local.private_subnets
  public_subnets  = local.public_subnets

  enable_nat_gateway     = true
  one_nat_gateway_per_az = true
  enable_dns_hostnames   = true

  # Flow logs for network forensics on a payments system.
  enable_flow_log                      = true
  create_flow_log_cloudwatch_log_group = true
  create_flow_log_cloudwatch_iam_role  = true

  public_subnet_tags  = { "kubernetes.io/role/elb" = 1 }
  private_subnet_tags = { "kubernetes.io/role/internal-elb" = 1 }
}

# One key for data at rest across MSK, ElastiCache, RDS and EKS secrets; rotated yearly.
resource "aws_kms_key" "data" {
  description             = "${var.name} data at rest"
  enable_key_rotation     = true
  deletion_window_in_days = 30
}

resource "aws_kms_alias" "data" {
  name          = "alias/${var.name}-data"
  target_key_id = aws_kms_key.data.key_id
}

# ---- Kubernetes ----
module "eks" {
  source  = "terraform-aws-modules/eks/aws"
  version = "~> 20.31"

  cluster_name    = "${var.name}-eks"
  cluster_version = var.eks_version

  vpc_id     = module.vpc.vpc_id
  subnet_ids = module.vpc.private_subnets

  cluster_endpoint_public_access       = var.eks_public_endpoint
  cluster_endpoint_public_access_cidrs = var.eks_public_cidrs
  cluster_endpoint_private_access      = true

  # Kubernetes Secrets (the platform's credentials) encrypted with our key.
  create_kms_key = false
  cluster_encryption_config = {
    provider_key_arn = aws_kms_key.data.arn
    resources        = ["secrets"]
  }

  enable_cluster_creator_admin_permissions = true

  cluster_addons = {
    coredns                = {}
    kube-proxy             = {}
    vpc-cni                = {}
    eks-pod-identity-agent = {}
    aws-ebs-csi-driver     = { service_account_role_arn = module.ebs_csi_irsa.iam_role_arn }
  }

  eks_managed_node_groups = {
    default = {
      instance_types = var.node_instance_types
      min_size       = var.node_min
      max_size       = var.node_max
      desired_size   = var.node_desired
      # IMDSv2 only; pods cannot reach the node's instance role credentials.
      metadata_options = {
        http_endpoint               = "enabled"
        http_tokens                 = "required"
        http_put_response_hop_limit = 1
      }
      block_device_mappings = {
        xvda = {
          device_name = "/dev/xvda"
          # Encrypted with the AWS-managed EBS key: a customer key here would also need a
          # key-policy grant for the Auto Scaling service-linked role.
          ebs = {
            volume_size = 50
            volume_type = "gp3"
            encrypted   = true
          }
        }
      }
    }
  }
}

# The EBS CSI driver provisions Neo4j's encrypted gp3 volume.
module "ebs_csi_irsa" {
  source  = "terraform-aws-modules/iam/aws//modules/iam-role-for-service-accounts-eks"
  version = "~> 5.48"

  role_name             = "${var.name}-ebs-csi"
  attach_ebs_csi_policy = true
  ebs_csi_kms_cmk_ids   = [aws_kms_key.data.arn]
  oidc_providers = {
    main = {
      provider_arn               = module.eks.oidc_provider_arn
      namespace_service_accounts = ["kube-system:ebs-csi-controller-sa"]
    }
  }
}

# ---- data services (only the cluster's nodes may connect) ----
module "msk" {
  source = "./modules/msk"

  name               = var.name
  vpc_id             = module.vpc.vpc_id
  subnet_ids         = module.vpc.private_subnets
  client_sg_id       = module.eks.node_security_group_id
  kafka_version      = var.kafka_version
  instance_type      = var.kafka_instance_type
  broker_count       = var.kafka_broker_count
  volume_gb          = var.kafka_volume_gb
  default_partitions = var.kafka_partitions
  kms_key_arn        = aws_kms_key.data.arn
}

module "redis" {
  source = "./modules/redis"

  name           = var.name
  vpc_id         = module.vpc.vpc_id
  subnet_ids     = module.vpc.private_subnets
  client_sg_id   = module.eks.node_security_group_id
  node_type      = var.redis_node_type
  engine_version = var.redis_engine_version
  replicas       = var.redis_replicas
  kms_key_arn    = aws_kms_key.data.arn
}

module "rds" {
  source = "./modules/rds"

  name                  = var.name
  vpc_id                = module.vpc.vpc_id
  subnet_ids            = module.vpc.private_subnets
  client_sg_id          = module.eks.node_security_group_id
  engine_version        = var.postgres_version
  instance_class        = var.postgres_instance_class
  storage_gb            = var.postgres_storage_gb
  backup_retention_days = var.postgres_backup_retention_days
  kms_key_arn           = aws_kms_key.data.arn
}

resource "kubernetes_namespace" "fraud" {
  metadata {
    name = var.namespace
    # Pod Security Admission. The platform's pods meet "restricted" (non-root, read-only root fs,
    # no capabilities, RuntimeDefault seccomp); the Neo4j chart shares the namespace and is only
    # guaranteed to meet "baseline", so that is enforced and "restricted" is warned and audited.
    labels = {
      "pod-security.kubernetes.io/enforce" = "baseline"
      "pod-security.kubernetes.io/warn"    = "restricted"
      "pod-security.kubernetes.io/audit"   = "restricted"
    }
  }
  depends_on = [module.eks]
}

module "neo4j" {
  source = "./modules/neo4j"
  count  = var.neo4j_mode == "helm" ? 1 : 0

  name          = var.name
  namespace     = kubernetes_namespace.fraud.metadata[0].name
  chart_version = var.neo4j_chart_version
  volume_gb     = var.neo4j_volume_gb
  kms_key_arn   = aws_kms_key.data.arn
}

# ---- the platform's Secret (the Helm chart's secrets.existingSecret) ----
data "aws_secretsmanager_secret_version" "rds_master" {
  secret_id = module.rds.master_secret_arn
}

locals {
  rds_master     = jsondecode(data.aws_secretsmanager_secret_version.rds_master.secret_string)
  neo4j_uri      = var.neo4j_mode == "helm" ? module.neo4j[0].bolt_uri : var.neo4j_external_uri
  neo4j_password = var.neo4j_mode == "helm" ? module.neo4j[0].password : var.neo4j_external_password
}

resource "kubernetes_secret" "platform" {
  metadata {
    name      = "${var.name}-platform"
    namespace = kubernetes_namespace.fraud.metadata[0].name
  }
  data = {
    # verify-full: TLS with the server certificate checked against the RDS CA bundle
    # (NODE_EXTRA_CA_CERTS; see docs/deployment.md).
    DATABASE_URL = "postgres://${urlencode(local.rds_master.username)}:${urlencode(local.rds_master.password)}@${module.rds.address}:${module.rds.port}/${module.rds.database}?sslmode=verify-full"
    # rediss:// = TLS.
    REDIS_URL = "rediss://:${urlencode(module.redis.auth_token)}@${module.redis.primary_endpoint}:${module.redis.port}"
    NEO4J_PASSWORD = local.neo4j_password
  }
}

# ---- the platform itself (optional: many teams deploy apps with their own pipeline) ----
resource "helm_release" "platform" {
  count     = var.deploy_platform ? 1 : 0
  name      = var.name
  namespace = kubernetes_namespace.fraud.metadata[0].name
  chart     = "${path.module}/../../helm/fraud-platform"

  values = [yamlencode({
    image = { repository = var.platform_image, tag = var.platform_image_tag }
    config = {
      kafkaBrokers = module.msk.bootstrap_brokers_tls
      kafkaTls     = true
      partitions   = var.kafka_partitions
      neo4jUri     = local.neo4j_uri
    }
    secrets = { existingSecret = kubernetes_secret.platform.metadata[0].name }
    processor = {
      autoscaling = { maxReplicas = var.kafka_partitions }
    }
  })]
}
