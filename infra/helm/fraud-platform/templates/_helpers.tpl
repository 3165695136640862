{{/* Chart name, truncated to the DNS label limit. */}}
{{- define "fraud.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "fraud.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "fraud.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "fraud.labels" -}}
helm.sh/chart: {{ include "fraud.chart" . }}
app.kubernetes.io/name: {{ include "fraud.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: fraud-platform
{{- end }}

{{/* Selector labels for one component: (dict "root" $ "component" "processor") */}}
{{- define "fraud.selectorLabels" -}}
app.kubernetes.io/name: {{ include "fraud.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "fraud.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "fraud.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "fraud.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{- define "fraud.rulesConfigMap" -}}
{{- if .Values.rules.existingConfigMap }}
{{- .Values.rules.existingConfigMap }}
{{- else if .Values.rules.content }}
{{- printf "%s-rules" (include "fraud.fullname" .) }}
{{- end }}
{{- end }}

{{/* Guards that turn a bad install into a clear error instead of a crash loop. */}}
{{- define "fraud.validate" -}}
{{- if not .Values.config.kafkaBrokers }}
{{- fail "config.kafkaBrokers is required (e.g. the MSK bootstrap brokers: b-1.x.kafka.eu-west-1.amazonaws.com:9094,...)" }}
{{- end }}
{{- if not .Values.secrets.existingSecret }}
{{- fail "secrets.existingSecret is required: create a Secret with DATABASE_URL, REDIS_URL and NEO4J_PASSWORD (see docs/deployment.md); the chart never ships credentials" }}
{{- end }}
{{- $partitions := int .Values.config.partitions }}
{{- if gt (int .Values.processor.replicas) $partitions }}
{{- fail (printf "processor.replicas (%d) exceeds config.partitions (%d): extra consumers would sit idle" (int .Values.processor.replicas) $partitions) }}
{{- end }}
{{- if and .Values.processor.autoscaling.enabled (gt (int .Values.processor.autoscaling.maxReplicas) $partitions) }}
{{- fail (printf "processor.autoscaling.maxReplicas (%d) exceeds config.partitions (%d): extra consumers would sit idle" (int .Values.processor.autoscaling.maxReplicas) $partitions) }}
{{- end }}
{{- end }}

{{/* Environment shared by every component: config values plus secret references. */}}
{{- define "fraud.env" -}}
{{ include "fraud.baseEnv" . }}
{{- if include "fraud.rulesConfigMap" . }}
- name: FRAUD_RULES
  value: /etc/fraud/rules/{{ .Values.rules.key }}
{{- end }}
{{- end }}

{{/* The same without the rules file (for hooks that run before the rules ConfigMap exists). */}}
{{- define "fraud.baseEnv" -}}
- name: KAFKA_BROKERS
  value: {{ .Values.config.kafkaBrokers | quote }}
- name: KAFKA_CLIENT_ID
  value: {{ .Values.config.kafkaClientId | quote }}
- name: FRAUD_PARTITIONS
  value: {{ .Values.config.partitions | quote }}
- name: LOG_LEVEL
  value: {{ .Values.config.logLevel | quote }}
- name: FRAUD_API_HOST
  value: "0.0.0.0"
- name: FRAUD_DATA_DIR
  value: /data
{{- if .Values.config.neo4jUri }}
- name: NEO4J_URI
  value: {{ .Values.config.neo4jUri | quote }}
- name: NEO4J_USER
  value: {{ .Values.config.neo4jUser | quote }}
{{- end }}
{{- if .Values.config.model }}
- name: FRAUD_MODEL
  value: {{ .Values.config.model | quote }}
{{- end }}
{{- if .Values.config.kafkaTls }}
- name: KAFKA_TLS
  value: "true"
{{- end }}
{{- if .Values.config.kafkaSaslMechanism }}
- name: KAFKA_SASL_MECHANISM
  value: {{ .Values.config.kafkaSaslMechanism | quote }}
{{- end }}
{{- if .Values.config.kafkaReplicationFactor }}
- name: KAFKA_REPLICATION_FACTOR
  value: {{ .Values.config.kafkaReplicationFactor | quote }}
{{- end }}
{{- range $var, $key := .Values.secrets.keys }}
{{- if and $key (or (ne $var "NEO4J_PASSWORD") $.Values.config.neo4jUri) }}
- name: {{ $var }}
  valueFrom:
    secretKeyRef:
      name: {{ $.Values.secrets.existingSecret }}
      key: {{ $key }}
{{- end }}
{{- end }}
{{- if .Values.config.caBundle.configMap }}
- name: NODE_EXTRA_CA_CERTS
  value: /etc/fraud/ca/{{ .Values.config.caBundle.key }}
{{- end }}
{{- range $k, $v := .Values.config.extraEnv }}
- name: {{ $k }}
  value: {{ $v | quote }}
{{- end }}
{{- end }}

{{/* Pod volumes: writable /tmp and /data on a read-only root filesystem, plus the rules. */}}
{{- define "fraud.volumes" -}}
- name: tmp
  emptyDir: {}
- name: data
  emptyDir: {}
{{- with include "fraud.rulesConfigMap" . }}
- name: rules
  configMap:
    name: {{ . }}
{{- end }}
{{- with .Values.config.caBundle.configMap }}
- name: ca
  configMap:
    name: {{ . }}
{{- end }}
{{- end }}

{{- define "fraud.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
- name: data
  mountPath: /data
{{- if include "fraud.rulesConfigMap" . }}
- name: rules
  mountPath: /etc/fraud/rules
  readOnly: true
{{- end }}
{{- if .Values.config.caBundle.configMap }}
- name: ca
  mountPath: /etc/fraud/ca
  readOnly: true
{{- end }}
{{- end }}
