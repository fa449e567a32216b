{{/*
Names and labels, after the `helm create` scaffold, with one addition: every object belongs to a component
(api, downstream, operator, prometheus, grafana, postgres, loadtest), carried in app.kubernetes.io/component and
in the selector. Prometheus turns that label into the `job` of every series, which the dashboards and rules use.
*/}}

{{/* The chart name, or nameOverride. */}}
{{- define "platform.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The name prefix: fullnameOverride, else the release name when it already contains the chart name (release
"platform" gives "platform"), else release-chart. Cut to 63 characters, the DNS label limit.
*/}}
{{- define "platform.fullname" -}}
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

{{/* Chart name and version, for the helm.sh/chart label. */}}
{{- define "platform.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The name of one component's objects: <fullname>-<component>, e.g. platform-api.
Usage: include "platform.componentName" (dict "ctx" $ "component" "api")
*/}}
{{- define "platform.componentName" -}}
{{- printf "%s-%s" (include "platform.fullname" .ctx) .component | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Selector labels of one component: immutable once deployed, so only name, instance and component.
Usage: include "platform.selectorLabels" (dict "ctx" $ "component" "api")
*/}}
{{- define "platform.selectorLabels" -}}
app.kubernetes.io/name: {{ include "platform.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/*
Every label of one component's objects: the selector labels plus chart, version, managed-by, part-of and
commonLabels. Usage: include "platform.labels" (dict "ctx" $ "component" "api")
*/}}
{{- define "platform.labels" -}}
helm.sh/chart: {{ include "platform.chart" .ctx }}
{{ include "platform.selectorLabels" . }}
app.kubernetes.io/version: {{ .ctx.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
app.kubernetes.io/part-of: {{ include "platform.name" .ctx }}
{{- with .ctx.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/*
An image reference; an empty tag means the chart's appVersion.
Usage: include "platform.image" (dict "ctx" $ "image" .Values.api.image)
*/}}
{{- define "platform.image" -}}
{{- printf "%s:%s" .image.repository (default .ctx.Chart.AppVersion (toString .image.tag)) }}
{{- end }}

{{/*
The pod-level security context: non-root as the image's own user, RuntimeDefault seccomp, and fsGroup so the
emptyDir and volume mounts are writable. Usage: include "platform.podSecurityContext" 1654
*/}}
{{- define "platform.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ . }}
runAsGroup: {{ . }}
fsGroup: {{ . }}
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/* The container-level security context, the same for every container: nothing to escalate, nothing to write. */}}
{{- define "platform.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
capabilities:
  drop:
    - ALL
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/* Scheduling and pull secrets shared by every pod. */}}
{{- define "platform.podScheduling" -}}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/* The UID the .NET images (mcr.microsoft.com/dotnet/aspnet) run as: $APP_UID. */}}
{{- define "platform.dotnetUid" -}}1654{{- end }}

{{/* The port the API, the downstream and the operator serve traffic, /metrics and health on. */}}
{{- define "platform.httpPort" -}}8080{{- end }}

{{/* The Secret holding the admin token (key `token`). */}}
{{- define "platform.adminSecretName" -}}
{{- default (include "platform.componentName" (dict "ctx" . "component" "admin-token")) .Values.admin.existingSecret }}
{{- end }}

{{/* The Secret holding the in-cluster SQL Server's SA password (key `sa-password`). */}}
{{- define "platform.sqlserverSecretName" -}}
{{- default (include "platform.componentName" (dict "ctx" . "component" "sqlserver")) .Values.database.sqlserver.existingSecret }}
{{- end }}

{{/* True ("true") when the chart deploys SQL Server itself: provider sqlserver without an external server. */}}
{{- define "platform.sqlserverInCluster" -}}
{{- if and (eq .Values.database.provider "sqlserver") (not .Values.database.sqlserver.external.existingSecret) }}true{{- end }}
{{- end }}

{{/* The Secret holding the PostgreSQL password (key `password`). */}}
{{- define "platform.postgresSecretName" -}}
{{- default (include "platform.componentName" (dict "ctx" . "component" "postgres")) .Values.database.postgres.existingSecret }}
{{- end }}

{{/* The operator's service account. */}}
{{- define "platform.operatorServiceAccountName" -}}
{{- include "platform.componentName" (dict "ctx" . "component" "operator") }}
{{- end }}

{{/* The leader-election Lease. */}}
{{- define "platform.leaseName" -}}
{{- default (include "platform.componentName" (dict "ctx" . "component" "operator")) .Values.operator.leaseName }}
{{- end }}

{{/* The Prometheus base URL everything in the release uses: the chart's own, or externalPrometheus.url. */}}
{{- define "platform.prometheusUrl" -}}
{{- if .Values.prometheus.enabled }}
{{- printf "http://%s:%v" (include "platform.componentName" (dict "ctx" . "component" "prometheus")) .Values.prometheus.service.port }}
{{- else }}
{{- .Values.externalPrometheus.url }}
{{- end }}
{{- end }}

{{/* Where k6 remote-writes its results: the chart's Prometheus, or externalPrometheus.remoteWriteUrl (may be empty). */}}
{{- define "platform.remoteWriteUrl" -}}
{{- if .Values.prometheus.enabled }}
{{- printf "%s/api/v1/write" (include "platform.prometheusUrl" .) }}
{{- else }}
{{- .Values.externalPrometheus.remoteWriteUrl }}
{{- end }}
{{- end }}

{{/* The API's base URL inside the namespace, as k6 and the test hook call it. */}}
{{- define "platform.apiUrl" -}}
{{- printf "http://%s:%v" (include "platform.componentName" (dict "ctx" . "component" "api")) .Values.api.service.port }}
{{- end }}

{{/*
True ("true") when the operator decides the API's replica count: then `helm upgrade` must not reset it.
*/}}
{{- define "platform.operatorManagesReplicas" -}}
{{- if and .Values.operator.enabled .Values.operator.autoscaler.create (eq .Values.operator.autoscaler.mode "Enforce") }}true{{- end }}
{{- end }}

{{/*
A Secret value that is generated once and then kept: the given value if set, else the live Secret's (read with
`lookup` on upgrade), else a new random string (alphanumeric of "length", or "generated" when given). `helm
template` and client-side dry runs cannot look up, so they render a new random value: the real install keeps the
first one.
Usage: include "platform.stableSecretValue" (dict "ctx" $ "secret" NAME "key" KEY "value" GIVEN "length" 32 ["generated" FRESH])
*/}}
{{- define "platform.stableSecretValue" -}}
{{- if .value }}
{{- .value }}
{{- else }}
{{- $live := lookup "v1" "Secret" .ctx.Release.Namespace .secret }}
{{- if and $live $live.data (hasKey $live.data .key) }}
{{- index $live.data .key | b64dec }}
{{- else }}
{{- .generated | default (randAlphaNum (int .length)) }}
{{- end }}
{{- end }}
{{- end }}

{{/*
The k6 scripts: every loadtests/*.js (a scenario) and loadtests/lib/*.js, read through the files/loadtests
symlink. ConfigMap keys cannot contain "/", so lib/config.js is stored as key lib__config.js and mounted back
at /scripts/lib/config.js with `items`. Returns YAML: a list of {key, path, file}.
*/}}
{{- define "platform.k6Files" -}}
{{- $files := list }}
{{- range $path, $_ := .Files.Glob "files/loadtests/*.js" }}
{{- $files = append $files (dict "key" (base $path) "path" (base $path) "file" $path) }}
{{- end }}
{{- range $path, $_ := .Files.Glob "files/loadtests/lib/*.js" }}
{{- $files = append $files (dict "key" (printf "lib__%s" (base $path)) "path" (printf "lib/%s" (base $path)) "file" $path) }}
{{- end }}
{{- toYaml $files }}
{{- end }}

{{/* Fails with the list of scenarios when loadtests/<scenario>.js does not exist. Usage: include "platform.requireScenario" (dict "ctx" $ "scenario" NAME "key" "loadtest.scenario") */}}
{{- define "platform.requireScenario" -}}
{{- $file := printf "files/loadtests/%s.js" .scenario }}
{{- if not (.ctx.Files.Get $file) }}
{{- $names := list }}
{{- range $path, $_ := .ctx.Files.Glob "files/loadtests/*.js" }}
{{- $names = append $names (base $path | trimSuffix ".js") }}
{{- end }}
{{- fail (printf "%s: no scenario %q (loadtests/%s.js); the scenarios are: %s" .key .scenario .scenario (join ", " $names)) }}
{{- end }}
{{- end }}

{{/*
The k6 container shared by the load-test Job and the test hook.
Usage: include "platform.k6Container" (dict "ctx" $ "scenario" NAME "testId" ID)
*/}}
{{- define "platform.k6Container" -}}
{{- $ctx := .ctx }}
{{- $remoteWrite := include "platform.remoteWriteUrl" $ctx -}}
- name: k6
  image: {{ include "platform.image" (dict "ctx" $ctx "image" $ctx.Values.loadtest.image) }}
  imagePullPolicy: {{ $ctx.Values.loadtest.image.pullPolicy }}
  args:
    - run
    {{- if $remoteWrite }}
    - -o
    - experimental-prometheus-rw
    {{- end }}
    - --tag
    - testid={{ .testId }}
    {{- range $ctx.Values.loadtest.extraArgs }}
    - {{ . | quote }}
    {{- end }}
    - /scripts/{{ .scenario }}.js
  env:
    - name: BASE_URL
      value: {{ include "platform.apiUrl" $ctx | quote }}
    {{- with include "platform.prometheusUrl" $ctx }}
    - name: PROMETHEUS_URL
      value: {{ . | quote }}
    {{- end }}
    {{- if $remoteWrite }}
    - name: K6_PROMETHEUS_RW_SERVER_URL
      value: {{ $remoteWrite | quote }}
    - name: K6_PROMETHEUS_RW_TREND_STATS
      value: "p(50),p(95),p(99)"
    {{- end }}
    # The scripts' server-side verdict narrows its Prometheus queries to this run and this install.
    - name: TESTID
      value: {{ .testId | quote }}
    - name: NAMESPACE
      value: {{ $ctx.Release.Namespace | quote }}
    {{- if and $ctx.Values.operator.enabled $ctx.Values.operator.autoscaler.create }}
    # The operator labels its series autoscaler="<namespace>/<name>" (the key it watches the resource by),
    # and PromQL regex matchers are anchored: the Job passes that label value, not the bare name.
    - name: AUTOSCALER
      value: {{ printf "%s/%s" $ctx.Release.Namespace (include "platform.componentName" (dict "ctx" $ctx "component" "api")) | quote }}
    # The operator experiments' starting state, from the autoscaler's own values (lib/verdict.js checks it).
    {{- with $ctx.Values.operator.autoscaler }}
    - name: START_REPLICAS
      value: {{ .replicas.min | toString | quote }}
    - name: START_MIN_THREADS
      value: {{ .minThreads.baseline | toString | quote }}
    - name: SCALE_DOWN_WINDOW_SECONDS
      value: {{ .behavior.scaleDownStabilizationWindowSeconds | toString | quote }}
    {{- end }}
    {{- end }}
    - name: K6_NO_USAGE_REPORT
      value: "true"
    {{- range $name, $value := $ctx.Values.loadtest.env }}
    - name: {{ $name }}
      value: {{ $value | toString | quote }}
    {{- end }}
  resources:
    {{- toYaml $ctx.Values.loadtest.resources | nindent 4 }}
  securityContext:
    {{- include "platform.containerSecurityContext" $ctx | nindent 4 }}
  volumeMounts:
    - name: scripts
      mountPath: /scripts
      readOnly: true
    - name: tmp
      mountPath: /tmp
{{- end }}

{{/* The volumes of the k6 pod: the scripts ConfigMap with lib/ files put back in place, and /tmp. */}}
{{- define "platform.k6Volumes" -}}
- name: scripts
  configMap:
    name: {{ include "platform.componentName" (dict "ctx" . "component" "k6-scripts") }}
    items:
      {{- range (include "platform.k6Files" . | fromYamlArray) }}
      - key: {{ .key }}
        path: {{ .path }}
      {{- end }}
- name: tmp
  emptyDir:
    sizeLimit: 64Mi
{{- end }}

{{/*
The API's database settings (Database__Provider, Database__ConnectionString). With PostgreSQL the password comes
from the Secret into POSTGRES_PASSWORD, and Kubernetes expands $(POSTGRES_PASSWORD) in the connection string, so
no password is written into the Deployment; the in-cluster SQL Server's SA password likewise through
MSSQL_SA_PASSWORD, and an external SQL Server's whole connection string comes from its Secret. SQLite keeps its
file in the /data emptyDir (the root is read-only).
Usage: include "platform.databaseEnv" (dict "ctx" $ "provider" "sqlite")
*/}}
{{- define "platform.databaseEnv" -}}
{{- $ctx := .ctx }}
{{- if eq .provider "sqlserver" }}
{{- $sql := $ctx.Values.database.sqlserver -}}
- name: Database__Provider
  value: SqlServer
{{- if $sql.external.existingSecret }}
- name: Database__ConnectionString
  valueFrom:
    secretKeyRef:
      name: {{ $sql.external.existingSecret | quote }}
      key: {{ $sql.external.key | quote }}
{{- else }}
- name: MSSQL_SA_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "platform.sqlserverSecretName" $ctx }}
      key: sa-password
# The server's certificate is the self-signed one SQL Server generates: the traffic is encrypted, the
# certificate is not verified (inside the namespace, to the chart's own Service).
- name: Database__ConnectionString
  value: {{ printf "Server=tcp:%s,1433;Database=%s;User ID=sa;Password=$(MSSQL_SA_PASSWORD);Encrypt=True;TrustServerCertificate=True" (include "platform.componentName" (dict "ctx" $ctx "component" "sqlserver")) $sql.database | quote }}
{{- end }}
- name: Database__SqlClientCompatibilityAsyncBehaviour
  value: {{ $sql.sqlClientCompatibilityAsyncBehaviour | quote }}
{{- else if eq .provider "postgres" }}
{{- $pg := $ctx.Values.database.postgres -}}
- name: POSTGRES_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "platform.postgresSecretName" $ctx }}
      key: password
- name: Database__Provider
  value: Postgres
- name: Database__ConnectionString
  value: {{ printf "Host=%s;Port=5432;Database=%s;Username=%s;Password=$(POSTGRES_PASSWORD)" (include "platform.componentName" (dict "ctx" $ctx "component" "postgres")) $pg.database $pg.username | quote }}
{{- else -}}
- name: Database__Provider
  value: Sqlite
- name: Database__ConnectionString
  value: "Data Source=/data/platform.db"
{{- end }}
{{- end }}

{{/*
The operator's rules on the resources it watches and acts on; a Role, or a ClusterRole with
operator.watchAllNamespaces. Each rule is one call site of the operator.
*/}}
{{- define "platform.operatorWatchRules" -}}
# Watch the autoscalers (list + watch with resourceVersion; get after a status conflict).
- apiGroups: ["autoscaling.platform.dev"]
  resources: ["threadpoolautoscalers"]
  verbs: ["get", "list", "watch"]
# Write status, conditions and the last decision.
- apiGroups: ["autoscaling.platform.dev"]
  resources: ["threadpoolautoscalers/status"]
  verbs: ["update"]
# Read the target Deployment (replicas, selector).
- apiGroups: ["apps"]
  resources: ["deployments"]
  verbs: ["get"]
# Change replicas through the scale subresource only.
- apiGroups: ["apps"]
  resources: ["deployments/scale"]
  verbs: ["get", "patch"]
# The target's ready pods: their IPs for /admin/threadpool, their CPU requests.
- apiGroups: [""]
  resources: ["pods"]
  verbs: ["list"]
# Refuse to co-manage a Deployment that an HPA or a KEDA ScaledObject also scales.
- apiGroups: ["autoscaling"]
  resources: ["horizontalpodautoscalers"]
  verbs: ["list"]
- apiGroups: ["keda.sh"]
  resources: ["scaledobjects"]
  verbs: ["list"]
# Explain decisions as Events (created, then counted up with a merge patch).
- apiGroups: [""]
  resources: ["events"]
  verbs: ["create", "patch"]
# The admin token, and no other Secret.
- apiGroups: [""]
  resources: ["secrets"]
  resourceNames: [{{ include "platform.adminSecretName" . | quote }}]
  verbs: ["get"]
{{- end }}

{{/* The control listener's env (API and downstream): its port, served without a thread-pool thread. Usage: include "platform.controlEnv" . */}}
{{- define "platform.controlEnv" -}}
- name: Control__Port
  value: {{ .Values.api.controlPort | quote }}
{{- end }}

{{/* Liveness on the control port: it answers while the pool is starved. Usage: include "platform.livenessProbe" . */}}
{{- define "platform.livenessProbe" -}}
httpGet:
  path: /healthz/live
  port: control
periodSeconds: {{ .Values.api.probes.liveness.periodSeconds }}
timeoutSeconds: {{ .Values.api.probes.liveness.timeoutSeconds }}
failureThreshold: {{ .Values.api.probes.liveness.failureThreshold }}
{{- end }}
