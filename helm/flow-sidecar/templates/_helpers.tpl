{{/*
Names, labels and selectors. Every helper takes a root-like context with .Values, .Chart and
.Release: the chart's own `.`, or `(index .Subcharts "flow-sidecar")` from a parent chart.
*/}}

{{/* The chart name, overridable. */}}
{{- define "flow-sidecar.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The fully qualified name: `<release>-<chart>`, or the release name alone when it already contains
the chart name. Truncated to 63 characters (DNS label limit).
*/}}
{{- define "flow-sidecar.fullname" -}}
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

{{/* Chart name and version for the helm.sh/chart label. */}}
{{- define "flow-sidecar.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels of every resource. */}}
{{- define "flow-sidecar.labels" -}}
helm.sh/chart: {{ include "flow-sidecar.chart" . }}
{{ include "flow-sidecar.selectorLabels" . }}
{{- with .Chart.AppVersion }}
app.kubernetes.io/version: {{ . | quote }}
{{- end }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: flow-sidecar
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Selector labels (immutable once deployed). */}}
{{- define "flow-sidecar.selectorLabels" -}}
app.kubernetes.io/name: {{ include "flow-sidecar.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* metadata.annotations body from commonAnnotations plus an optional extra dict; empty when none. */}}
{{- define "flow-sidecar.annotations" -}}
{{- $all := merge (deepCopy (.extra | default dict)) (deepCopy (.root.Values.commonAnnotations | default dict)) }}
{{- with $all }}
{{- toYaml . }}
{{- end }}
{{- end }}

{{/*
metadata of a chart resource. Context: dict with root (the chart scope), name, and optionally
component (app.kubernetes.io/component) and annotations (merged over commonAnnotations).
*/}}
{{- define "flow-sidecar.metadata" -}}
name: {{ .name }}
namespace: {{ .root.Release.Namespace }}
labels:
  {{- include "flow-sidecar.labels" .root | nindent 2 }}
  {{- with .component }}
  app.kubernetes.io/component: {{ . }}
  {{- end }}
{{- with (include "flow-sidecar.annotations" (dict "root" .root "extra" .annotations)) }}
annotations:
  {{- . | nindent 2 }}
{{- end }}
{{- end }}

{{/* Name of the ServiceAccount of pods that carry the sidecar. */}}
{{- define "flow-sidecar.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "flow-sidecar.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* Name of the sidecar's ConfigMap. */}}
{{- define "flow-sidecar.configMapName" -}}
{{- printf "%s-config" (include "flow-sidecar.fullname" . | trunc 56 | trimSuffix "-") }}
{{- end }}

{{/* The daemon image reference: registry/repository, then @digest or :tag (appVersion by default). */}}
{{- define "flow-sidecar.image" -}}
{{- $repo := .Values.image.repository }}
{{- with .Values.image.registry }}
{{- $repo = printf "%s/%s" . $repo }}
{{- end }}
{{- if .Values.image.digest }}
{{- printf "%s@%s" $repo .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" $repo (default .Chart.AppVersion .Values.image.tag | toString) }}
{{- end }}
{{- end }}

{{/* imagePullSecrets list items; empty when none. */}}
{{- define "flow-sidecar.imagePullSecrets" -}}
{{- range .Values.image.pullSecrets }}
- name: {{ . | quote }}
{{- end }}
{{- end }}

{{/* Where the image keeps the launcher (see the repository's Dockerfile). */}}
{{- define "flow-sidecar.launcher" -}}
/opt/flow-sidecar/bin/flow-sidecar
{{- end }}

{{/* Directory where ConfigMaps with the daemon configuration are mounted. */}}
{{- define "flow-sidecar.configDir" -}}
/etc/flow-sidecar/config
{{- end }}

{{/* Directory where secret files are mounted. */}}
{{- define "flow-sidecar.secretsDir" -}}
/etc/flow-sidecar/secrets
{{- end }}

{{/*
One probe body. Context: dict with
  probe   - the probe's values (enabled, initialDelaySeconds, periodSeconds, timeoutSeconds, failureThreshold)
  type    - "grpc" or "exec"
  port    - health-only listener port (grpc)
  service - grpc.health.v1 service name: "" (overall readiness) or "liveness"
  socket  - Unix socket path (exec)
*/}}
{{- define "flow-sidecar.probe" -}}
{{- if eq .type "grpc" -}}
grpc:
  port: {{ .port }}
  service: {{ .service | quote }}
{{- else -}}
exec:
  command:
    - {{ include "flow-sidecar.launcher" . }}
    - health
    - --socket
    - {{ .socket | quote }}
    - --service
    - {{ .service | quote }}
{{- end }}
initialDelaySeconds: {{ .probe.initialDelaySeconds }}
periodSeconds: {{ .probe.periodSeconds }}
timeoutSeconds: {{ .probe.timeoutSeconds }}
failureThreshold: {{ .probe.failureThreshold }}
{{- end }}

{{/*
securityContext from values, with a null runAsUser/runAsGroup left out (the platform assigns one).
*/}}
{{- define "flow-sidecar.securityContext" -}}
{{- $sc := deepCopy . }}
{{- range $k := list "runAsUser" "runAsGroup" "fsGroup" }}
{{- if kindIs "invalid" (index $sc $k) }}
{{- $_ := unset $sc $k }}
{{- end }}
{{- end }}
{{- if and (hasKey $sc "supplementalGroups") (empty $sc.supplementalGroups) }}
{{- $_ := unset $sc "supplementalGroups" }}
{{- end }}
{{- toYaml $sc }}
{{- end }}

{{/*
A resource quantity (values.schema.json's grammar: a number with an optional SI or binary suffix,
or a plain integer) as a float64, for comparing two quantities however they are written: 160Mi and
167772160 give the same value.
*/}}
{{- define "flow-sidecar.quantityValue" -}}
{{- if kindIs "string" . }}
{{- $number := regexFind "^[0-9]+(\\.[0-9]+)?" . }}
{{- $factors := dict "" 1 "m" 0.001 "k" 1e3 "M" 1e6 "G" 1e9 "T" 1e12 "P" 1e15 "E" 1e18
      "Ki" 1024 "Mi" 1048576 "Gi" 1073741824 "Ti" 1099511627776 "Pi" 1125899906842624 "Ei" 1152921504606846976 }}
{{- mulf (float64 $number) (get $factors (trimPrefix $number .)) }}
{{- else }}
{{- float64 . }}
{{- end }}
{{- end }}

{{/*
Empty, or a warning for NOTES.txt when the sidecar's memory request differs from its memory limit
(or there is no limit). Under NodeSwap with swapBehavior LimitedSwap the kubelet gives swap to a
Burstable pod's containers whose memory request is below their limit, and the daemon's plaintext
credentials and data keys could then be paged out: the JVM cannot mlock them, and CAP_IPC_LOCK is
not allowed by the restricted profile. A request left out defaults to the limit.
*/}}
{{- define "flow-sidecar.memorySwapWarning" -}}
{{- $r := .Values.sidecar.resources | default dict }}
{{- $request := dig "requests" "memory" "" $r }}
{{- $limit := dig "limits" "memory" "" $r }}
{{- if not $limit }}
WARNING: the flow-sidecar container has no memory limit (sidecar.resources.limits.memory), so on
nodes with swap enabled (NodeSwap, swapBehavior: LimitedSwap) the kubelet lets it swap. The daemon
holds plaintext credentials and data keys in memory that it cannot lock (no mlock, no CAP_IPC_LOCK
under the restricted profile); they could be written to the node's swap device. Set
sidecar.resources.limits.memory and make sidecar.resources.requests.memory equal to it.
{{- else if and (toString $request) (ne (include "flow-sidecar.quantityValue" $request) (include "flow-sidecar.quantityValue" $limit)) }}
WARNING: sidecar.resources.requests.memory ({{ $request }}) differs from sidecar.resources.limits.memory
({{ $limit }}). On nodes with swap enabled (NodeSwap, swapBehavior: LimitedSwap) the kubelet gives
swap to a container whose memory request is below its limit. The daemon holds plaintext credentials
and data keys in memory that it cannot lock (no mlock, no CAP_IPC_LOCK under the restricted
profile); they could be written to the node's swap device. Set the request equal to the limit.
{{- end }}
{{- end }}

{{/* ---------------------------------------------------------------- collector */}}

{{/* Fully qualified name of the collector's resources. */}}
{{- define "flow-sidecar.collector.fullname" -}}
{{- printf "%s-collector" (include "flow-sidecar.fullname" . | trunc 53 | trimSuffix "-") }}
{{- end }}

{{/* Selector labels of the collector's pods. */}}
{{- define "flow-sidecar.collector.selectorLabels" -}}
{{ include "flow-sidecar.selectorLabels" . }}
app.kubernetes.io/component: collector
{{- end }}

{{/* Name of the collector's ServiceAccount. */}}
{{- define "flow-sidecar.collector.serviceAccountName" -}}
{{- if .Values.collector.serviceAccount.create }}
{{- default (include "flow-sidecar.collector.fullname" .) .Values.collector.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.collector.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* Name of the collector's ConfigMap. */}}
{{- define "flow-sidecar.collector.configMapName" -}}
{{- printf "%s-config" (include "flow-sidecar.collector.fullname" . | trunc 56 | trimSuffix "-") }}
{{- end }}

{{/*
The collector's daemon configuration: collector.config deep-merged with the chart-managed keys
(listeners must match the Service, probes and NetworkPolicy; the schema refuses them in
collector.config).
*/}}
{{- define "flow-sidecar.collector.config" -}}
{{- $c := .Values.collector }}
{{- $server := dict
      "socket_path" "/run/flow-sidecar/collector.sock"
      "tcp_address" ""
      "health_address" (printf "0.0.0.0:%d" (int $c.healthPort))
      "health_allow_remote" true }}
{{- $metrics := dict "address" "" "allow_remote" false }}
{{- if $c.metrics.enabled }}
{{- $metrics = dict "address" (printf "0.0.0.0:%d" (int $c.metrics.port)) "allow_remote" true }}
{{- end }}
{{- $collector := dict "address" (printf "0.0.0.0:%d" (int $c.port)) "allow_remote" true }}
{{- $managed := dict "server" $server "metrics" $metrics "collector" $collector }}
{{- toYaml (mustMergeOverwrite (deepCopy ($c.config | default dict)) $managed) }}
{{- end }}
