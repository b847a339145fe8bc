{{/* Names, labels and the server configuration shared by every template of the chart. */}}

{{- define "dsinfer.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "dsinfer.fullname" -}}
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

{{/* Labels on every object. */}}
{{- define "dsinfer.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "dsinfer.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: dsinfer
{{- end -}}

{{/* Labels every dsinfer pod carries (all pools, all colours). */}}
{{- define "dsinfer.selectorLabels" -}}
app.kubernetes.io/name: {{ include "dsinfer.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* Selector of one pool of one colour. Call with dict "root" $ "pool" $pool "color" $color. */}}
{{- define "dsinfer.poolSelectorLabels" -}}
{{ include "dsinfer.selectorLabels" .root }}
dsinfer.io/pool: {{ .pool.name }}
dsinfer.io/color: {{ .color }}
{{- end -}}

{{/* Name of one pool's Deployment (and its autoscaler, PDB). */}}
{{- define "dsinfer.poolName" -}}
{{- printf "%s-%s-%s" (include "dsinfer.fullname" .root) .pool.name .color | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "dsinfer.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "dsinfer.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "dsinfer.apiKeySecretName" -}}
{{- default (printf "%s-api-key" (include "dsinfer.fullname" .)) .Values.apiKey.existingSecret -}}
{{- end -}}

{{/* Image reference of one colour. Call with dict "root" $ "color" $color. */}}
{{- define "dsinfer.image" -}}
{{- $img := .root.Values.image -}}
{{- if $img.digest -}}
{{- printf "%s@%s" $img.repository $img.digest -}}
{{- else -}}
{{- $colorTag := (index .root.Values.colors .color).imageTag -}}
{{- printf "%s:%s" $img.repository (default (default .root.Chart.AppVersion $img.tag) $colorTag) -}}
{{- end -}}
{{- end -}}

{{/* terminationGracePeriodSeconds: the kubelet must wait for the server's whole shutdown
     (drain delay, then grace period) plus a margin before SIGKILL. */}}
{{- define "dsinfer.terminationGracePeriodSeconds" -}}
{{- $s := .Values.server -}}
{{- add (int $s.drainDelaySeconds) (int $s.gracePeriodSeconds) (int $s.terminationMarginSeconds) -}}
{{- end -}}

{{/* Directory the server reads the model from. */}}
{{- define "dsinfer.modelDir" -}}
{{- if .Values.model.repository.remote -}}/model-cache{{- else -}}/models{{- end -}}
{{- end -}}

{{- define "dsinfer.modelClaimName" -}}
{{- default (printf "%s-models" (include "dsinfer.fullname" .)) .Values.model.repository.existingClaim -}}
{{- end -}}

{{/* PromQL selector of one pool of one colour (labels added by the ServiceMonitor). */}}
{{- define "dsinfer.promSelector" -}}
namespace="{{ .root.Release.Namespace }}",pool="{{ .pool.name }}",color="{{ .color }}"
{{- end -}}

{{/* KEDA's latency query: the adapter's per-pod p95 (NaN for an idle pod becomes 0),
     averaged over the pool's pods, as the HPA averages its Pods metric. */}}
{{- define "dsinfer.kedaLatencyQuery" -}}
{{- $l := .root.Values.autoscaling.latency -}}
{{- $sel := include "dsinfer.promSelector" . -}}
avg((histogram_quantile({{ $l.quantile }}, sum by (pod, le) (rate({{ $l.histogram }}{ {{- $sel -}} }[{{ $l.window }}]))) > 0) or (0 * sum by (pod) (rate({{ $l.histogram }}{ {{- $sel -}} }[{{ $l.window }}]))))
{{- end -}}
