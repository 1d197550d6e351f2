{{/*
The reusable sidecar: named templates that add the flow-sidecar daemon to ANY workflow-executor pod.
Context: a root-like object with .Values, .Chart and .Release: `.` inside this chart, or
`(index .Subcharts "flow-sidecar")` in a parent chart that lists flow-sidecar as a dependency (its
ConfigMap and ServiceAccount then come from the same release). Use them together:

  template:
    metadata:
      labels:      {{- include "flow-sidecar.podLabels" $fs | nindent 8 }}
      annotations: {{- include "flow-sidecar.podAnnotations" $fs | nindent 8 }}
    spec:
      {{- include "flow-sidecar.podSpec" $fs | nindent 6 }}
      initContainers:
        {{- include "flow-sidecar.initContainers" $fs | nindent 8 }}   # native mode: the sidecar
      containers:
        - name: executor
          env:          {{- include "flow-sidecar.workloadEnv" $fs | nindent 12 }}
          volumeMounts: {{- include "flow-sidecar.workloadVolumeMounts" $fs | nindent 12 }}
        {{- include "flow-sidecar.containers" $fs | nindent 8 }}       # classic mode: the sidecar
      volumes:
        {{- include "flow-sidecar.volumes" $fs | nindent 8 }}

initContainers / containers render nothing in the other mode; an empty `initContainers:` is valid.
*/}}

{{/* Path of the Unix socket. */}}
{{- define "flow-sidecar.socketPath" -}}
{{- printf "%s/%s" (trimSuffix "/" .Values.sidecar.socket.directory) .Values.sidecar.socket.fileName }}
{{- end }}

{{/*
The audit spool's daemon sizes (YAML: spool_max_size, segment_size), derived from
sidecar.auditSpool.sizeLimit (`<n>Mi` or `<n>Gi`, as the schema requires) so that the spool can
never outgrow its emptyDir: the kubelet evicts the whole pod when an emptyDir exceeds its
sizeLimit, whereas a full spool only refuses releases (UNAVAILABLE) until the collector catches up.
spool_max_size is 4/5 of the limit (256MiB of 320Mi, the daemon's default) and segment_size 1/16 of
that (16MiB, the daemon's default). On disk the spool holds at most spool_max_size of unacknowledged
segments plus the newest segment, kept after its acknowledgement, plus a few small state files;
the remaining fifth (four segments) covers that. Computed in KiB (integers), rounded down.
*/}}
{{- define "flow-sidecar.auditSpoolSizes" -}}
{{- $limit := toString .Values.sidecar.auditSpool.sizeLimit }}
{{- if not (regexMatch "^[1-9][0-9]*(Mi|Gi)$" $limit) }}
{{- fail (printf "sidecar.auditSpool.sizeLimit must be <n>Mi or <n>Gi (the daemon's spool sizes are derived from it), got %q" $limit) }}
{{- end }}
{{- $kib := mul (regexFind "^[0-9]+" $limit | int64) 1024 }}
{{- if hasSuffix "Gi" $limit }}
{{- $kib = mul $kib 1024 }}
{{- end }}
{{- $max := div (mul $kib 4) 5 }}
{{- $segment := div $max 16 }}
spool_max_size: {{ include "flow-sidecar.kibDataSize" $max }}
segment_size: {{ include "flow-sidecar.kibDataSize" $segment }}
{{- end }}

{{/* A size in KiB as the daemon writes sizes: `<n>MiB` when whole mebibytes, else `<n>KiB`. */}}
{{- define "flow-sidecar.kibDataSize" -}}
{{- if eq (mod . 1024) 0 }}
{{- printf "%dMiB" (div . 1024) }}
{{- else }}
{{- printf "%dKiB" . }}
{{- end }}
{{- end }}

{{/*
The sidecar's daemon configuration (YAML): `config` deep-merged with the keys the chart manages,
because the pod's volumes, probes and ports depend on them (values.schema.json refuses them in
`config`).
*/}}
{{- define "flow-sidecar.daemonConfig" -}}
{{- $s := .Values.sidecar }}
{{- $server := dict "socket_path" (include "flow-sidecar.socketPath" .) "tcp_address" "" }}
{{- if $s.tcp.enabled }}
{{- $_ := set $server "tcp_address" (printf "127.0.0.1:%d" (int $s.tcp.port)) }}
{{- end }}
{{- if eq $s.probes.type "grpc" }}
{{- $host := $s.probes.grpc.bindHost }}
{{- if contains ":" $host }}
{{- $host = printf "[%s]" $host }}
{{- end }}
{{- $_ := set $server "health_address" (printf "%s:%d" $host (int $s.probes.grpc.port)) }}
{{- $_ := set $server "health_allow_remote" true }}
{{- end }}
{{- $metrics := dict "address" "" "allow_remote" false }}
{{- if and $s.metrics.enabled $s.metrics.exposeToCluster }}
{{- $metrics = dict "address" (printf "0.0.0.0:%d" (int $s.metrics.port)) "allow_remote" true }}
{{- else if $s.metrics.enabled }}
{{- $metrics = dict "address" (printf "127.0.0.1:%d" (int $s.metrics.port)) "allow_remote" false }}
{{- end }}
{{- $audit := include "flow-sidecar.auditSpoolSizes" . | fromYaml }}
{{- $_ := set $audit "spool_dir" $s.auditSpool.directory }}
{{- $managed := dict "server" $server "metrics" $metrics "audit" $audit }}
{{- toYaml (mustMergeOverwrite (deepCopy (.Values.config | default dict)) $managed) }}
{{- end }}

{{/*
Labels for a pod that carries the sidecar. flow-sidecar.apixx.io/sidecar admits the pod to the
collector's NetworkPolicy. Not selector labels: add them to the pod template only.
*/}}
{{- define "flow-sidecar.podLabels" -}}
flow-sidecar.apixx.io/sidecar: "true"
{{- end }}

{{/*
Annotations for a pod that carries the sidecar: a checksum of the daemon configuration, so a
configuration change rolls the pods; scrape hints when metrics are exposed to the cluster.
*/}}
{{- define "flow-sidecar.podAnnotations" -}}
checksum/flow-sidecar-config: {{ include "flow-sidecar.daemonConfig" . | sha256sum }}
{{- if and .Values.sidecar.metrics.enabled .Values.sidecar.metrics.exposeToCluster }}
prometheus.io/scrape: "true"
prometheus.io/port: {{ .Values.sidecar.metrics.port | quote }}
prometheus.io/path: /metrics
{{- end }}
{{- end }}

{{/*
Pod-level fields: the ServiceAccount, no automounted API token, the pod security context (fsGroup
owns the socket directory) and image pull secrets.
*/}}
{{- define "flow-sidecar.podSpec" -}}
serviceAccountName: {{ include "flow-sidecar.serviceAccountName" . }}
automountServiceAccountToken: false
securityContext:
  {{- include "flow-sidecar.securityContext" .Values.podSecurityContext | nindent 2 }}
{{- with (include "flow-sidecar.imagePullSecrets" .) }}
imagePullSecrets:
  {{- . | nindent 2 }}
{{- end }}
{{- end }}

{{/* The sidecar container as one list item; native mode adds restartPolicy: Always. */}}
{{- define "flow-sidecar.sidecarContainer" -}}
{{- $s := .Values.sidecar }}
{{- $socket := include "flow-sidecar.socketPath" . }}
{{- $pt := .Values.serviceAccount.projectedToken -}}
- name: {{ $s.containerName }}
  image: {{ include "flow-sidecar.image" . | quote }}
  imagePullPolicy: {{ .Values.image.pullPolicy }}
  {{- if eq $s.mode "native" }}
  restartPolicy: Always
  {{- end }}
  args:
    - serve
    - --config
    - {{ printf "%s/sidecar.yaml" (include "flow-sidecar.configDir" .) }}
  env:
    - name: FLOW_SIDECAR_JAVA_OPTS
      value: {{ $s.javaOpts | quote }}
    {{- with $s.aotCache }}
    - name: FLOW_SIDECAR_AOT_CACHE
      value: {{ . | quote }}
    {{- end }}
    {{- with $s.extraEnv }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- if or (eq $s.probes.type "grpc") (and $s.metrics.enabled $s.metrics.exposeToCluster) }}
  ports:
    {{- if eq $s.probes.type "grpc" }}
    - name: fs-health
      containerPort: {{ $s.probes.grpc.port }}
      protocol: TCP
    {{- end }}
    {{- if and $s.metrics.enabled $s.metrics.exposeToCluster }}
    - name: fs-metrics
      containerPort: {{ $s.metrics.port }}
      protocol: TCP
    {{- end }}
  {{- end }}
  {{- range $name, $service := dict "startupProbe" "liveness" "livenessProbe" "liveness" "readinessProbe" "" }}
  {{- $p := index $s.probes $name }}
  {{- if $p.enabled }}
  {{ $name }}:
    {{- include "flow-sidecar.probe" (dict "probe" $p "type" $s.probes.type "port" $s.probes.grpc.port "service" $service "socket" $socket) | nindent 4 }}
  {{- end }}
  {{- end }}
  resources:
    {{- toYaml $s.resources | nindent 4 }}
  securityContext:
    {{- include "flow-sidecar.securityContext" $s.containerSecurityContext | nindent 4 }}
  volumeMounts:
    - name: flow-sidecar-socket
      mountPath: {{ $s.socket.directory }}
    - name: flow-sidecar-tmp
      mountPath: /tmp
    - name: flow-sidecar-audit-spool
      mountPath: {{ $s.auditSpool.directory }}
    - name: flow-sidecar-config
      mountPath: {{ include "flow-sidecar.configDir" . }}
      readOnly: true
    {{- if include "flow-sidecar.secretSources" . | trim }}
    - name: flow-sidecar-secrets
      mountPath: {{ include "flow-sidecar.secretsDir" . }}
      readOnly: true
    {{- end }}
    {{- if $pt.enabled }}
    - name: flow-sidecar-vault-token
      mountPath: {{ $pt.mountPath }}
      readOnly: true
    {{- end }}
{{- end }}

{{/* For pod.spec.initContainers: the sidecar in native mode, nothing in classic mode. */}}
{{- define "flow-sidecar.initContainers" -}}
{{- if eq .Values.sidecar.mode "native" }}
{{- include "flow-sidecar.sidecarContainer" . }}
{{- end }}
{{- end }}

{{/* For pod.spec.containers: the sidecar in classic mode, nothing in native mode. */}}
{{- define "flow-sidecar.containers" -}}
{{- if eq .Values.sidecar.mode "classic" }}
{{- include "flow-sidecar.sidecarContainer" . }}
{{- end }}
{{- end }}

{{/* Volume mounts for a workload container: the socket directory, read-only (connecting needs no write access). */}}
{{- define "flow-sidecar.workloadVolumeMounts" -}}
- name: flow-sidecar-socket
  mountPath: {{ .Values.sidecar.socket.directory }}
  readOnly: true
{{- end }}

{{/* Environment for a workload container: the gRPC target of the sidecar. */}}
{{- define "flow-sidecar.workloadEnv" -}}
- name: {{ .Values.sidecar.workloadEnvName }}
  value: {{ printf "unix://%s" (include "flow-sidecar.socketPath" .) | quote }}
{{- end }}

{{/* Projected-volume sources of the secrets given by reference; empty when none is configured. */}}
{{- define "flow-sidecar.secretSources" -}}
{{- $sec := .Values.secrets }}
{{- with $sec.databasePassword.secretName }}
- secret:
    name: {{ . | quote }}
    items:
      - key: {{ $sec.databasePassword.key | quote }}
        path: database/password
{{- end }}
{{- with $sec.vaultCa.secretName }}
- secret:
    name: {{ . | quote }}
    items:
      - key: {{ $sec.vaultCa.key | quote }}
        path: vault/ca.crt
{{- end }}
{{- with $sec.collectorClientTls.secretName }}
- secret:
    name: {{ . | quote }}
    items:
      - key: {{ $sec.collectorClientTls.certKey | quote }}
        path: collector-client/tls.crt
      - key: {{ $sec.collectorClientTls.keyKey | quote }}
        path: collector-client/tls.key
      - key: {{ $sec.collectorClientTls.caKey | quote }}
        path: collector-client/ca.crt
{{- end }}
{{- with $sec.jwks.secretName }}
- secret:
    name: {{ . | quote }}
    items:
      - key: {{ $sec.jwks.key | quote }}
        path: jwks/jwks.json
{{- end }}
{{- with $sec.serviceTokens.secretName }}
- secret:
    name: {{ . | quote }}
    items:
      - key: {{ $sec.serviceTokens.key | quote }}
        path: service-tokens/tokens
{{- end }}
{{- end }}

{{/*
For pod.spec.volumes: everything the sidecar mounts (the shared socket directory, /tmp, the audit
spool, the configuration and secrets).
*/}}
{{- define "flow-sidecar.volumes" -}}
{{- $s := .Values.sidecar }}
{{- $pt := .Values.serviceAccount.projectedToken -}}
- name: flow-sidecar-socket
  emptyDir:
    medium: Memory
    sizeLimit: {{ $s.socket.sizeLimit }}
- name: flow-sidecar-tmp
  emptyDir:
    medium: Memory
    sizeLimit: {{ $s.tmpSizeLimit }}
# The audit spool: on the node's disk, never medium Memory; mounted in the sidecar only.
- name: flow-sidecar-audit-spool
  emptyDir:
    sizeLimit: {{ $s.auditSpool.sizeLimit }}
- name: flow-sidecar-config
  configMap:
    name: {{ include "flow-sidecar.configMapName" . }}
    # 0440 written in decimal: YAML 1.1 and 1.2 parsers disagree on a leading 0.
    defaultMode: 288
{{- with (include "flow-sidecar.secretSources" . | trim) }}
- name: flow-sidecar-secrets
  projected:
    # 0440 written in decimal: YAML 1.1 and 1.2 parsers disagree on a leading 0.
    defaultMode: 288
    sources:
      {{- . | nindent 6 }}
{{- end }}
{{- if $pt.enabled }}
- name: flow-sidecar-vault-token
  projected:
    # 0440 written in decimal: YAML 1.1 and 1.2 parsers disagree on a leading 0.
    defaultMode: 288
    sources:
      - serviceAccountToken:
          audience: {{ $pt.audience | quote }}
          expirationSeconds: {{ $pt.expirationSeconds }}
          path: {{ $pt.fileName }}
{{- end }}
{{- end }}
