{{/* Names and labels. */}}
{{- define "commerce-platform.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "commerce-platform.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Name of one component's objects: (dict "root" $ "component" "gateway"). */}}
{{- define "commerce-platform.componentName" -}}
{{- printf "%s-%s" (include "commerce-platform.fullname" .root) .component | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "commerce-platform.selectorLabels" -}}
app.kubernetes.io/name: {{ include "commerce-platform.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "commerce-platform.labels" -}}
{{ include "commerce-platform.selectorLabels" . }}
app.kubernetes.io/part-of: commerce-platform
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version | replace "+" "_" }}
{{- with .root.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Labels every pod of the release carries (the default-deny policy selects them). */}}
{{- define "commerce-platform.releaseSelector" -}}
app.kubernetes.io/name: {{ include "commerce-platform.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "commerce-platform.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "commerce-platform.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "commerce-platform.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/*
Fixed facts of the HTTP workloads (from docs/architecture.md): the command, env prefix,
port, whether it has a database and Kafka, and its upstreams (env var -> component).
Only enabled workloads are listed. Returned as YAML; read it with fromYaml.
*/}}
{{- define "commerce-platform.workloads" -}}
gateway:
  command: [python, -m, system_under_test.gateway, serve, --no-migrate]
  envPrefix: GATEWAY_
  port: 8000
  database: false
  kafka: false
  healthPath: /healthz
  readyPath: /readyz
  upstreams:
    GATEWAY_USER_URL: user-service
    GATEWAY_PRODUCT_URL: product-service
    GATEWAY_ORDER_URL: order-service
    GATEWAY_PAYMENT_URL: payment-service
user-service:
  command: [python, -m, system_under_test.user_service, serve, --no-migrate]
  envPrefix: USER_
  port: 8001
  module: user_service
  database: true
  kafka: true
  healthPath: /healthz
  readyPath: /readyz
  upstreams: {}
product-service:
  command: [python, -m, system_under_test.product_service, serve, --no-migrate]
  envPrefix: PRODUCT_
  port: 8002
  module: product_service
  database: true
  kafka: true
  healthPath: /healthz
  readyPath: /readyz
  upstreams: {}
order-service:
  command: [python, -m, system_under_test.order_service, serve, --no-migrate]
  envPrefix: ORDER_
  port: 8003
  module: order_service
  database: true
  kafka: true
  healthPath: /healthz
  readyPath: /readyz
  upstreams:
    ORDER_PRODUCT_URL: product-service
payment-service:
  command: [python, -m, system_under_test.payment_service, serve, --no-migrate]
  envPrefix: PAYMENT_
  port: 8004
  module: payment_service
  database: true
  kafka: true
  healthPath: /healthz
  readyPath: /readyz
  upstreams:
    PAYMENT_PROVIDER_URL: payment-provider
payment-provider:
  command: [python, -m, system_under_test.payment_provider, serve, --no-migrate]
  envPrefix: PROVIDER_
  port: 8005
  database: false
  kafka: false
  healthPath: /healthz
  readyPath: /readyz
  upstreams: {}
{{- if .Values.harness.probeRunner.enabled }}
probe-runner:
  command: [python, -m, synthetic_probes]
  envPrefix: PROBES_
  port: 8006
  database: false
  kafka: false
  harness: true
  healthPath: {{ .Values.harness.probeRunner.healthPath }}
  readyPath: /readyz
  upstreams:
    PROBES_GATEWAY_URL: gateway
{{- end }}
{{- end -}}

{{/* The tunable values of one workload: (dict "root" $ "component" "gateway"). */}}
{{- define "commerce-platform.workloadValues" -}}
{{- if eq .component "probe-runner" -}}
{{- toYaml .root.Values.harness.probeRunner -}}
{{- else -}}
{{- toYaml (index .root.Values.services .component) -}}
{{- end -}}
{{- end -}}

{{- define "commerce-platform.url" -}}
{{- $facts := index (include "commerce-platform.workloads" .root | fromYaml) .component -}}
{{- printf "http://%s:%v" (include "commerce-platform.componentName" .) $facts.port -}}
{{- end -}}

{{/* Non-secret environment of one workload, as a name -> value map (YAML). */}}
{{- define "commerce-platform.workloadEnv" -}}
{{- $root := .root -}}
{{- $facts := index (include "commerce-platform.workloads" $root | fromYaml) .component -}}
{{- $values := include "commerce-platform.workloadValues" . | fromYaml -}}
{{- $env := dict -}}
{{- $_ := set $env (printf "%sHOST" $facts.envPrefix) "0.0.0.0" -}}
{{- $_ := set $env (printf "%sPORT" $facts.envPrefix) (toString $facts.port) -}}
{{- $_ := set $env (printf "%sLOG_LEVEL" $facts.envPrefix) $root.Values.logLevel -}}
{{- if not $facts.harness -}}
{{- $jwks := printf "%s/.well-known/jwks.json" (include "commerce-platform.url" (dict "root" $root "component" "user-service")) -}}
{{- $_ := set $env (printf "%sJWKS_URL" $facts.envPrefix) $jwks -}}
{{- end -}}
{{- range $var, $upstream := $facts.upstreams -}}
{{- $_ := set $env $var (include "commerce-platform.url" (dict "root" $root "component" $upstream)) -}}
{{- end -}}
{{- if $facts.kafka -}}
{{- $_ := set $env "KAFKA_BOOTSTRAP_SERVERS" (include "commerce-platform.kafkaBootstrap" $root) -}}
{{- end -}}
{{- if eq .component "gateway" -}}
{{- $_ := set $env "GATEWAY_RATE_LIMIT" $root.Values.rateLimit.limits -}}
{{- end -}}
{{- range $name, $value := $values.env -}}
{{- $_ := set $env $name (toString $value) -}}
{{- end -}}
{{- toYaml $env -}}
{{- end -}}

{{- define "commerce-platform.kafkaBootstrap" -}}
{{- if .Values.kafka.enabled -}}
{{- printf "%s-kafka:9092" .Release.Name -}}
{{- else -}}
{{- .Values.kafka.external.bootstrapServers -}}
{{- end -}}
{{- end -}}

{{- define "commerce-platform.postgresqlHost" -}}
{{- if .Values.postgresql.enabled -}}
{{- printf "%s-postgresql" .Release.Name -}}
{{- else -}}
{{- .Values.postgresql.external.host -}}
{{- end -}}
{{- end -}}

{{- define "commerce-platform.postgresqlPort" -}}
{{- if .Values.postgresql.enabled -}}5432{{- else -}}{{ .Values.postgresql.external.port }}{{- end -}}
{{- end -}}

{{/* Secret and key holding the database password. */}}
{{- define "commerce-platform.postgresqlSecretName" -}}
{{- if .Values.postgresql.auth.existingSecret -}}
{{- .Values.postgresql.auth.existingSecret -}}
{{- else if .Values.postgresql.enabled -}}
{{- printf "%s-postgresql" .Release.Name -}}
{{- else -}}
{{- printf "%s-database" (include "commerce-platform.fullname" .) -}}
{{- end -}}
{{- end -}}

{{- define "commerce-platform.postgresqlSecretKey" -}}
{{- if or .Values.postgresql.auth.existingSecret .Values.postgresql.enabled -}}
{{- .Values.postgresql.auth.secretKeys.userPasswordKey -}}
{{- else -}}
password
{{- end -}}
{{- end -}}

{{- define "commerce-platform.adminSecretName" -}}
{{- default (printf "%s-auth" (include "commerce-platform.fullname" .)) .Values.auth.existingSecret -}}
{{- end -}}

{{- define "commerce-platform.adminSecretKey" -}}
{{- if .Values.auth.existingSecret -}}{{ .Values.auth.existingSecretKey }}{{- else -}}admin-token{{- end -}}
{{- end -}}

{{/*
Secret-backed env entries of a service with a database: the password first, so the
URL can refer to it with $(DATABASE_PASSWORD). (dict "root" $ "component" "order-service")
*/}}
{{- define "commerce-platform.databaseEnv" -}}
{{- $root := .root -}}
{{- $facts := index (include "commerce-platform.workloads" $root | fromYaml) .component -}}
{{- $pg := $root.Values.postgresql -}}
{{- $database := index $pg.databases .component -}}
{{- $query := ternary "" (printf "?sslmode=%s" $pg.sslmode) (empty $pg.sslmode) -}}
- name: DATABASE_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "commerce-platform.postgresqlSecretName" $root }}
      key: {{ include "commerce-platform.postgresqlSecretKey" $root }}
- name: {{ $facts.envPrefix }}DATABASE_URL
  value: {{ printf "postgresql://%s:$(DATABASE_PASSWORD)@%s:%s/%s%s" $pg.auth.username (include "commerce-platform.postgresqlHost" $root) (include "commerce-platform.postgresqlPort" $root) $database $query | quote }}
{{- end -}}

{{- define "commerce-platform.adminTokenEnv" -}}
- name: {{ .envPrefix }}ADMIN_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ include "commerce-platform.adminSecretName" .root }}
      key: {{ include "commerce-platform.adminSecretKey" .root }}
{{- end -}}

{{/* The most gateway replicas that may run at once. */}}
{{- define "commerce-platform.gatewayMaxReplicas" -}}
{{- $gateway := .Values.services.gateway -}}
{{- ternary $gateway.autoscaling.maxReplicas $gateway.replicas $gateway.autoscaling.enabled | int -}}
{{- end -}}

{{/*
Where the gateway replicas keep their rate limit counts: "external", "bundled" (the
chart's Redis) or "" (each replica alone). Fails when the gateway may run more than one
replica and nothing shares the counts: each replica would grant a client the whole limit.
*/}}
{{- define "commerce-platform.rateLimitStore" -}}
{{- $rateLimit := .Values.rateLimit -}}
{{- $maxReplicas := include "commerce-platform.gatewayMaxReplicas" . | int -}}
{{- if or $rateLimit.storage.url $rateLimit.storage.existingSecret -}}
{{- if $rateLimit.perReplicaCounting -}}
{{- fail "rateLimit.perReplicaCounting=true asks for no shared store, but rateLimit.storage names one: unset one of them" -}}
{{- end -}}
external
{{- else if $rateLimit.perReplicaCounting -}}
{{- else if $rateLimit.redis.enabled -}}
bundled
{{- else if gt $maxReplicas 1 -}}
{{- fail (printf "rateLimit: the gateway may run %d replicas but they share no rate limit store, so each would grant a client the whole limit; set rateLimit.redis.enabled=true, rateLimit.storage.url or rateLimit.storage.existingSecret, or accept per-replica limits with rateLimit.perReplicaCounting=true" $maxReplicas) -}}
{{- end -}}
{{- end -}}

{{- define "commerce-platform.rateLimitRedisName" -}}
{{- include "commerce-platform.componentName" (dict "root" . "component" "rate-limit-redis") -}}
{{- end -}}

{{/* Secret and key holding the store's URL (it may carry a password). */}}
{{- define "commerce-platform.rateLimitStoreSecretName" -}}
{{- default (include "commerce-platform.componentName" (dict "root" . "component" "rate-limit-store")) .Values.rateLimit.storage.existingSecret -}}
{{- end -}}

{{- define "commerce-platform.rateLimitStoreSecretKey" -}}
{{- if .Values.rateLimit.storage.existingSecret -}}{{ .Values.rateLimit.storage.existingSecretKey }}{{- else -}}url{{- end -}}
{{- end -}}

{{/* The gateway's env entry of the store URL; none when each replica counts alone. */}}
{{- define "commerce-platform.rateLimitStoreEnv" -}}
{{- if include "commerce-platform.rateLimitStore" . -}}
- name: GATEWAY_RATE_LIMIT_STORAGE_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "commerce-platform.rateLimitStoreSecretName" . }}
      key: {{ include "commerce-platform.rateLimitStoreSecretKey" . }}
{{- end -}}
{{- end -}}

{{/* The gateway's egress rule to the store: the bundled Redis pods, or the external port. */}}
{{- define "commerce-platform.rateLimitStoreEgress" -}}
{{- $store := include "commerce-platform.rateLimitStore" . -}}
{{- if eq $store "bundled" -}}
- to:
    - podSelector:
        matchLabels:
          {{- include "commerce-platform.selectorLabels" (dict "root" . "component" "rate-limit-redis") | nindent 10 }}
  ports:
    - {protocol: TCP, port: 6379}
{{- else if eq $store "external" -}}
- ports:
    - {protocol: TCP, port: {{ .Values.rateLimit.storage.port }}}
  {{- with .Values.networkPolicy.rateLimitStoreTo }}
  to:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end -}}
{{- end -}}

{{/* Writable scratch space: the root filesystem is read-only. */}}
{{- define "commerce-platform.tmpVolume" -}}
- name: tmp
  emptyDir:
    sizeLimit: 64Mi
{{- end -}}

{{- define "commerce-platform.tmpMount" -}}
- name: tmp
  mountPath: /tmp
{{- end -}}

{{/* Pod-spec fields shared by every pod of the chart. */}}
{{- define "commerce-platform.podCommon" -}}
serviceAccountName: {{ include "commerce-platform.serviceAccountName" . }}
automountServiceAccountToken: false
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/* `to:` peers of PostgreSQL and Kafka traffic: the dependency's pods, or the configured list. */}}
{{- define "commerce-platform.postgresqlPeers" -}}
{{- if .Values.postgresql.enabled -}}
to:
  - podSelector:
      matchLabels:
        app.kubernetes.io/name: postgresql
        app.kubernetes.io/instance: {{ .Release.Name }}
{{- else if .Values.networkPolicy.postgresqlTo -}}
to:
  {{- toYaml .Values.networkPolicy.postgresqlTo | nindent 2 }}
{{- end -}}
{{- end -}}

{{- define "commerce-platform.kafkaPeers" -}}
{{- if .Values.kafka.enabled -}}
to:
  - podSelector:
      matchLabels:
        app.kubernetes.io/name: kafka
        app.kubernetes.io/instance: {{ .Release.Name }}
{{- else if .Values.networkPolicy.kafkaTo -}}
to:
  {{- toYaml .Values.networkPolicy.kafkaTo | nindent 2 }}
{{- end -}}
{{- end -}}

{{/* Egress rule to the gateway, for the harness pods that drive traffic. */}}
{{- define "commerce-platform.gatewayEgress" -}}
- to:
    - podSelector:
        matchLabels:
          {{- include "commerce-platform.selectorLabels" (dict "root" . "component" "gateway") | nindent 10 }}
  ports:
    - {protocol: TCP, port: 8000}
{{- end -}}

{{/* Job spec of the chaos run: (dict "root" $ "name" <name> "experiments" <files>). */}}
{{- define "commerce-platform.chaosJobSpec" -}}
{{- $root := .root -}}
{{- $chaos := $root.Values.harness.chaos -}}
{{- $ctx := dict "root" $root "component" "chaos" -}}
backoffLimit: 0
activeDeadlineSeconds: {{ $chaos.activeDeadlineSeconds }}
template:
  metadata:
    labels:
      {{- include "commerce-platform.labels" $ctx | nindent 6 }}
  spec:
    restartPolicy: Never
    serviceAccountName: {{ .name }}
    # The experiments call the Kubernetes API.
    automountServiceAccountToken: true
    securityContext:
      {{- toYaml $root.Values.podSecurityContext | nindent 6 }}
    {{- with $root.Values.imagePullSecrets }}
    imagePullSecrets:
      {{- toYaml . | nindent 6 }}
    {{- end }}
    containers:
      - name: chaos
        image: {{ include "commerce-platform.image" $root }}
        imagePullPolicy: {{ $root.Values.image.pullPolicy }}
        workingDir: /app/chaos_experiments/kubernetes
        # Runs every experiment in order; the Job fails when one of them deviates.
        command:
          - /bin/sh
          - -c
          - |
            status=0
            for experiment in {{ join " " .experiments }}; do
              chaos run --journal-path "/tmp/journal-${experiment%.json}.json" "$experiment" || status=1
            done
            exit $status
        env:
          - name: KUBERNETES_NAMESPACE
            value: {{ $root.Release.Namespace }}
          - name: PROMETHEUS_BASE_URL
            value: {{ $chaos.prometheusUrl | quote }}
          - name: GATEWAY_URL
            value: {{ include "commerce-platform.url" (dict "root" $root "component" "gateway") }}
          - name: HOME
            value: /tmp
        resources:
          {{- toYaml $chaos.resources | nindent 10 }}
        securityContext:
          {{- toYaml $root.Values.containerSecurityContext | nindent 10 }}
        volumeMounts:
          {{- include "commerce-platform.tmpMount" $root | nindent 10 }}
    volumes:
      {{- include "commerce-platform.tmpVolume" $root | nindent 6 }}
{{- end -}}
