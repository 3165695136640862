# Amazon MSK: TLS-only client traffic, TLS between brokers, KMS encryption at rest, broker
# logs to CloudWatch, Prometheus exporters for lag and broker metrics.

variable "name" { type = string }
variable "vpc_id" { type = string }
variable "subnet_ids" { type = list(string) }
variable "client_sg_id" {
  description = "Security group of the clients (the EKS nodes)."
  type        = string
}
variable "kafka_version" { type = string }
variable "instance_type" { type = string }
variable "broker_count" { type = number }
variable "volume_gb" { type = number }
variable "default_partitions" { type = number }
variable "kms_key_arn" { type = string }
variable "log_retention_days" {
  type    = number
  default = 30
}

resource "aws_security_group" "msk" {
  name_prefix = "${var.name}-msk-"
  description = "MSK brokers: TLS clients from the EKS nodes only"
  vpc_id      = var.vpc_id
  lifecycle { create_before_destroy = true }
}

resource "aws_vpc_security_group_ingress_rule" "tls_from_clients" {
  security_group_id            = aws_security_group.msk.id
  referenced_security_group_id = var.client_sg_id
  ip_protocol                  = "tcp"
  from_port                    = 9094
  to_port                      = 9094
  description                  = "Kafka TLS"
}

resource "aws_vpc_security_group_egress_rule" "all" {
  security_group_id = aws_security_group.msk.id
  ip_protocol       = "-1"
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_msk_configuration" "this" {
  name           = "${var.name}-kafka"
  kafka_versions = [var.kafka_version]
  # Explicit topics (bin/fraud topics create); RF 3 with min ISR 2 so one broker can fail
  # without losing acknowledged writes.
  server_properties = <<-PROPS
    auto.create.topics.enable=false
    default.replication.factor=3
    min.insync.replicas=2
    num.partitions=${var.default_partitions}
    unclean.leader.election.enable=false
    log.retention.hours=168
  PROPS
}

resource "aws_cloudwatch_log_group" "broker" {
  name              = "/msk/${var.name}"
  retention_in_days = var.log_retention_days
}

resource "aws_msk_cluster" "this" {
  cluster_name           = "${var.name}-kafka"
  kafka_version          = var.kafka_version
  number_of_broker_nodes = var.broker_count

  broker_node_group_info {
    instance_type   = var.instance_type
    client_subnets  = var.subnet_ids
    security_groups = [aws_security_group.msk.id]
    storage_info {
      ebs_storage_info {
        volume_size = var.volume_gb
      }
    }
  }

  configuration_info {
    arn      = aws_msk_configuration.this.arn
    revision = aws_msk_configuration.this.latest_revision
  }

  encryption_info {
    encryption_at_rest_kms_key_arn = var.kms_key_arn
    encryption_in_transit {
      client_broker = "TLS"
      in_cluster    = true
    }
  }

  # TLS without client authentication: access is limited by the security group to the
  # cluster's nodes. For per-client identity switch to SASL/SCRAM or IAM once the platform's
  # Kafka adapter supports it (see docs/deployment.md).
  client_authentication {
    unauthenticated = true
  }

  open_monitoring {
    prometheus {
      jmx_exporter {
        enabled_in_broker = true
      }
      node_exporter {
        enabled_in_broker = true
      }
    }
  }

  logging_info {
    broker_logs {
      cloudwatch_logs {
        enabled   = true
        log_group = aws_cloudwatch_log_group.broker.name
      }
    }
  }
}

output "bootstrap_brokers_tls" {
  value = aws_msk_cluster.this.bootstrap_brokers_tls
}

output "cluster_arn" {
  value = aws_msk_cluster.this.arn
}

output "security_group_id" {
  value = aws_security_group.msk.id
}
