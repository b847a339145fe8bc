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

{{/* fullname + "-" + suffix within 63 characters: the prefix is cut, never the suffix, so
     objects that differ only in their suffix (pool, colour) keep different names for any release
     name helm accepts (53 characters). Call with dict "root" $ "suffix" "core-blue". */}}
{{- define "dsinfer.suffixedName" -}}
{{- $suffix := printf "-%s" .suffix -}}
{{- $prefix := include "dsinfer.fullname" .root | trunc (int (sub 63 (len $suffix))) | trimSuffix "-" -}}
{{- printf "%s%s" $prefix $suffix -}}
{{- end -}}

{{/* Name of one pool's Deployment (and its autoscaler, PDB). */}}
{{- define "dsinfer.poolName" -}}
{{- include "dsinfer.suffixedName" (dict "root" .root "suffix" (printf "%s-%s" .pool.name .color)) -}}
{{- end -}}

{{/* Name of a pool's PriorityClass (cluster-scoped: the namespace is part of it, so the same
     release name in two namespaces never shares one; the pool suffix always survives).
     Call with dict "root" $ "pool" $pool. */}}
{{- define "dsinfer.priorityClassName" -}}
{{- $suffix := printf "-%s" .pool.name -}}
{{- $prefix := printf "%s-%s" (include "dsinfer.fullname" .root) .root.Release.Namespace | trunc (int (sub 63 (len $suffix))) | trimSuffix "-" -}}
{{- printf "%s%s" $prefix $suffix -}}
{{- end -}}

{{/* The PriorityClass a pool's pods use: the pool's existing priorityClassName, else the one the
     chart renders (priorityClasses.create and pools[].priority), else none. */}}
{{- define "dsinfer.podPriorityClassName" -}}
{{- if .pool.priorityClassName -}}
{{- .pool.priorityClassName -}}
{{- else if and .root.Values.priorityClasses.create .pool.priority -}}
{{- include "dsinfer.priorityClassName" . -}}
{{- end -}}
{{- end -}}

{{/* scaleTargetRef of one pool's workload (HPA, ScaledObject): its Deployment, or its Argo
     Rollout (rollouts.enabled). Call with dict "root" $ "pool" $pool "color" $color. */}}
{{- define "dsinfer.scaleTargetRef" -}}
{{- if .root.Values.rollouts.enabled -}}
apiVersion: argoproj.io/v1alpha1
kind: Rollout
{{- else -}}
apiVersion: apps/v1
kind: Deployment
{{- end }}
name: {{ include "dsinfer.poolName" . }}
{{- end -}}

{{/* Active or preview Service of one pool's Argo Rollout. Call with dict "root" $ "pool" $pool
     "role" "active"|"preview". */}}
{{- define "dsinfer.rolloutServiceName" -}}
{{- include "dsinfer.suffixedName" (dict "root" .root "suffix" (printf "%s-%s" .pool.name .role)) -}}
{{- end -}}

{{/* Labels of the endpoint picker's pods (inferenceGateway): apart from the server's, so no
     dsinfer Service or ServiceMonitor selects them. */}}
{{- define "dsinfer.eppSelectorLabels" -}}
app.kubernetes.io/name: {{ include "dsinfer.name" . }}-epp
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: endpoint-picker
{{- end -}}

{{/* Name of the headless metrics Service = the Prometheus `job` label of every dsinfer series. */}}
{{- define "dsinfer.metricsServiceName" -}}
{{- include "dsinfer.suffixedName" (dict "root" . "suffix" "metrics") -}}
{{- end -}}

{{/* Anchored regex of this release's workload names (Deployments, HPAs, ScaledObjects, PDBs),
     both colours, every enabled pool, or only the spot pools. Call with dict "root" $ "spot" bool. */}}
{{- define "dsinfer.workloadRegex" -}}
{{- $names := list -}}
{{- range $pool := .root.Values.pools -}}
{{- if and $pool.enabled (or (not $.spot) $pool.spot) -}}
{{- range $color := list "blue" "green" -}}
{{- $names = append $names (include "dsinfer.poolName" (dict "root" $.root "pool" $pool "color" $color) | regexQuoteMeta) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- if $names -}}({{ join "|" $names }}){{- else -}}(){{- end -}}
{{- end -}}

{{/* The monitoring files name this release through placeholders (valid PromQL on their own, so
     promtool checks the files as they are); the chart fills them in. Call with the text. */}}
{{- define "dsinfer.fillMonitoring" -}}
{{- $root := .root -}}
{{- $slo := $root.Values.monitoring.slo -}}
{{- .text
  | replace "__DSINFER_NAMESPACE__" $root.Release.Namespace
  | replace "__DSINFER_JOB__" (include "dsinfer.metricsServiceName" $root)
  | replace "__DSINFER_WORKLOADS__" (include "dsinfer.workloadRegex" (dict "root" $root "spot" false))
  | replace "__DSINFER_SPOT_WORKLOADS__" (include "dsinfer.workloadRegex" (dict "root" $root "spot" true))
  | replace "__DSINFER_AVAILABILITY_BUDGET__" (include "dsinfer.sloBudget" $slo.availability)
  | replace "__DSINFER_LATENCY_BUDGET__" (include "dsinfer.sloBudget" $slo.latency)
  | replace "__DSINFER_E2E_LE__" (include "dsinfer.bucketLe" (dict "value" $slo.latency.e2eThresholdSeconds "what" "e2eThresholdSeconds" "buckets" (list 0.005 0.01 0.025 0.05 0.075 0.1 0.15 0.2 0.25 0.3 0.35 0.4 0.45 0.5 0.55 0.6 0.7 0.8 0.9 1 1.25 1.5 1.75 2 3 5 10 20 30 60 120)))
  | replace "__DSINFER_TTFT_LE__" (include "dsinfer.bucketLe" (dict "value" $slo.latency.ttftThresholdSeconds "what" "ttftThresholdSeconds" "buckets" (list 0.005 0.01 0.025 0.05 0.075 0.1 0.15 0.2 0.3 0.4 0.5 0.75 1 1.5 2 3 5 10 20 60))) -}}
{{- end -}}

{{/* Error budget (1 - target) of one SLO, as a PromQL number. */}}
{{- define "dsinfer.sloBudget" -}}
{{- printf "%.6g" (subf 1.0 (float64 .target)) -}}
{{- end -}}

{{/* `le` regex of a latency threshold, which must be a bucket boundary of the histogram (the
     server's buckets, docs/metrics.md): "2" matches le="2" and le="2.0". */}}
{{- define "dsinfer.bucketLe" -}}
{{- $v := float64 .value -}}
{{- $ok := false -}}
{{- range .buckets }}{{ if eq (float64 .) $v }}{{ $ok = true }}{{ end }}{{ end -}}
{{- if not $ok -}}
{{- fail (printf "monitoring.slo.latency.%s=%v is not a bucket boundary of the histogram (%v): the SLI could not be counted exactly" .what .value .buckets) -}}
{{- end -}}
{{- printf "%g" $v | replace "." "\\\\." -}}(\\.0+)?
{{- end -}}

{{- define "dsinfer.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "dsinfer.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "dsinfer.apiKeySecretName" -}}
{{- default (include "dsinfer.suffixedName" (dict "root" . "suffix" "api-key")) .Values.apiKey.existingSecret -}}
{{- end -}}

{{/* GPUs per pod of one pool (its resources as this colour sees them). Call with the pod context. */}}
{{- define "dsinfer.poolGpus" -}}
{{- int (default 0 .pool.resources.gpu) -}}
{{- end -}}

{{/* Image reference of one pool of one colour. The version is the colour's tag, else image.tag,
     else appVersion. CPU pools run the CPU flavour: the colour's digest, else <version>. GPU pools
     run the image.gpu flavour (deploy/docker/Dockerfile --build-arg GPU=vulkan): the colour's
     gpuDigest, else <version>-<image.gpu>. Refused: a tag that already names a flavour (the chart
     picks the flavour per pool), and a colour digest without a gpuDigest for its GPU pools (a
     digest pins one flavour). Call with dict "root" $ "pool" $pool "color" $color. */}}
{{- define "dsinfer.image" -}}
{{- $img := .root.Values.image -}}
{{- $own := (index .root.Values.colors .color).image | default dict -}}
{{- $tag := default (default .root.Chart.AppVersion $img.tag) $own.tag | toString -}}
{{- range $flavour := list "vulkan" }}
{{- if hasSuffix (printf "-%s" $flavour) $tag }}
{{- fail (printf "image tag %q names the %s flavour: give the version (%s); the chart runs <version> on CPU pools and <version>-%s on GPU pools with image.gpu: %s (docs/deploy.md, \"GPU profile\")" $tag $flavour (trimSuffix (printf "-%s" $flavour) $tag) $flavour $flavour) }}
{{- end }}
{{- end }}
{{- if gt (include "dsinfer.poolGpus" . | int) 0 -}}
{{- if $own.gpuDigest -}}
{{- printf "%s@%s" $img.repository $own.gpuDigest -}}
{{- else if $own.digest -}}
{{- fail (printf "colors.%s.image.digest pins one image, the CPU flavour, but pool %s runs on GPUs: also set colors.%s.image.gpuDigest to the digest of the -%s image of the same version" .color .pool.name .color .root.Values.image.gpu) -}}
{{- else -}}
{{- printf "%s:%s-%s" $img.repository $tag .root.Values.image.gpu -}}
{{- end -}}
{{- else if $own.digest -}}
{{- printf "%s@%s" $img.repository $own.digest -}}
{{- else -}}
{{- printf "%s:%s" $img.repository $tag -}}
{{- end -}}
{{- end -}}

{{/* terminationGracePeriodSeconds: the kubelet must wait for the server's whole shutdown
     (drain delay, then grace period) plus a margin before SIGKILL. */}}
{{- define "dsinfer.terminationGracePeriodSeconds" -}}
{{- $s := . -}}
{{- add (int $s.drainDelaySeconds) (int $s.gracePeriodSeconds) (int $s.terminationMarginSeconds) -}}
{{- end -}}

{{/* Directory the server reads the model from. */}}
{{- define "dsinfer.modelDir" -}}
{{- if .Values.model.repository.remote -}}/model-cache{{- else -}}/models{{- end -}}
{{- end -}}

{{- define "dsinfer.modelClaimName" -}}
{{- default (include "dsinfer.suffixedName" (dict "root" . "suffix" "models")) .Values.model.repository.existingClaim -}}
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

{{/* Bytes of a memory size: a number (bytes) or a Kubernetes quantity (4.7Gi, 512Mi, 2G).
     Call with dict "value" V "what" "name of the value" (named in the error). */}}
{{- define "dsinfer.bytes" -}}
{{- $v := .value -}}
{{- if or (kindIs "float64" $v) (kindIs "int64" $v) (kindIs "int" $v) -}}
{{- $v | int64 -}}
{{- else -}}
{{- $s := toString $v -}}
{{- $num := regexFind "^[0-9]+(\\.[0-9]+)?" $s -}}
{{- $unit := trimPrefix $num $s -}}
{{- $mult := dict "" 1 "k" 1000 "K" 1000 "M" 1000000 "G" 1000000000 "T" 1000000000000 "Ki" 1024 "Mi" 1048576 "Gi" 1073741824 "Ti" 1099511627776 -}}
{{- if or (not $num) (not (hasKey $mult $unit)) -}}
{{- fail (printf "%s: %q is not a memory size (examples: 4.7Gi, 512Mi, 2G, 5046586572)" .what $s) -}}
{{- end -}}
{{- mulf (float64 $num) (index $mult $unit) | int64 -}}
{{- end -}}
{{- end -}}

{{/* Fails unless a pool's GPU request is backed by a GPU image, within the engine's 8 devices per
     model (engine/device_select.cpp parse_device), and, for a split over N > 1 GPUs, the model's
     layer count is known (model.layers) and at least N (the engine gives every device a
     contiguous run of at least one layer and refuses more devices than layers at load).
     Call with the pod context. */}}
{{- define "dsinfer.checkGpu" -}}
{{- $gpu := include "dsinfer.poolGpus" . | int -}}
{{- if and (gt $gpu 0) (eq .root.Values.image.gpu "none") -}}
{{- fail (printf "pool %s requests %d GPU(s) per pod (pools[].resources.gpu) but image.gpu is \"none\": the image has no GPU backend, so every pod would hold a GPU it never uses. Use a GPU build and set image.gpu (docs/deploy.md, \"GPU profile\"), or set resources.gpu: 0." .pool.name $gpu) -}}
{{- end -}}
{{- if gt $gpu 8 -}}
{{- fail (printf "pool %s requests %d GPUs per pod: the engine splits a model over at most 8 devices (--device vulkan:0,...,7). Use at most 8 GPUs per pod and more replicas." .pool.name $gpu) -}}
{{- end -}}
{{- if gt $gpu 1 -}}
{{- $layers := int64 (default 0 .model.layers) -}}
{{- if not $layers -}}
{{- fail (printf "pool %s splits the model over %d GPUs per pod: set model.layers (or colors.%s.model.layers) to the model's layer count (`dsinfer inspect MODEL.gguf`, row \"layers\"); the chart sizes each GPU's share of the weights and KV cache from it" .pool.name $gpu .color) -}}
{{- end -}}
{{- if gt (int64 $gpu) $layers -}}
{{- fail (printf "pool %s requests %d GPUs per pod for a model of %d layers (colour %s, model.layers): the engine runs at least one whole layer per device and refuses more devices than layers. Use at most %d GPUs per pod." .pool.name $gpu $layers .color $layers) -}}
{{- end -}}
{{- end -}}
{{- if and (gt $gpu 0) (hasKey .pool.resources "gpuMemory") (not .pool.resources.gpuMemory) -}}
{{- fail (printf "pool %s: resources.gpuMemory is empty; give the GPU's memory (e.g. 81559Mi) or leave the key out" .pool.name) -}}
{{- end -}}
{{- end -}}

{{/* DSINFER_DEVICE of a GPU pool's pods: image.gpu ("vulkan" = device 0) for one GPU; for N GPUs
     "vulkan:0,1,...,N-1", the engine's layer split over the pod's N GPUs, which the NVIDIA
     device plugin makes the only devices the container sees (Vulkan indices 0..N-1, in the
     driver's order; docs/deploy.md "GPU profile"). Call with the pod context. */}}
{{- define "dsinfer.device" -}}
{{- $gpu := include "dsinfer.poolGpus" . | int -}}
{{- if gt $gpu 1 -}}
{{- $ids := list -}}
{{- range $i := until $gpu }}{{ $ids = append $ids (toString $i) }}{{ end -}}
{{- printf "%s:%s" .root.Values.image.gpu (join "," $ids) -}}
{{- else -}}
{{- .root.Values.image.gpu -}}
{{- end -}}
{{- end -}}

{{/* The largest share of a GPU pool's model on one of its GPUs, as JSON {"num": c, "den": L}:
     the engine (vulkan/device_decoder.cpp) gives device p of N the layers
     [p*L/N, (p+1)*L/N), so the last device holds the most, ceil(L/N) of the L layers, and also
     the output norm and head; with one GPU the whole model (1/1). Call with the pod context. */}}
{{- define "dsinfer.gpuShare" -}}
{{- $gpu := include "dsinfer.poolGpus" . | int64 -}}
{{- if gt $gpu 1 -}}
{{- $layers := int64 .model.layers -}}
{{- dict "num" (div (add $layers $gpu -1) $gpu) "den" $layers | toJson -}}
{{- else -}}
{{- dict "num" 1 "den" 1 | toJson -}}
{{- end -}}
{{- end -}}

{{/* Container resources of one pool: requests = limits (Guaranteed QoS), whole cores.
     Call with dict "root" $ "pool" $pool. */}}
{{- define "dsinfer.resources" -}}
{{- $r := .pool.resources -}}
{{- $gpu := int (default 0 $r.gpu) -}}
{{- range $kind := list "requests" "limits" }}
{{ $kind }}:
  cpu: {{ $r.cpu | int | quote }}
  memory: {{ $r.memory | quote }}
  {{- if gt $gpu 0 }}
  nvidia.com/gpu: {{ $gpu | quote }}
  {{- end }}
{{- end }}
{{- end -}}

{{/* server.kvCacheMemory as a share: the percentage (a float) of "N%", or -1 for a size or "auto". */}}
{{- define "dsinfer.kvPercent" -}}
{{- $v := toString . -}}
{{- if regexMatch "^[0-9]+(\\.[0-9]+)?%$" $v -}}
{{- $p := trimSuffix "%" $v | float64 -}}
{{- if or (le $p 0.0) (gt $p 100.0) -}}
{{- fail (printf "server.kvCacheMemory %q: a share must be more than 0%% and at most 100%%" $v) -}}
{{- end -}}
{{- $p -}}
{{- else -}}-1{{- end -}}
{{- end -}}

{{/* DSINFER_KV_CACHE_MEM of one pool's pods: dsinfer.gpuKvCache on GPU pools (the KV pool lives in
     device memory), dsinfer.kvCacheBytes on CPU pools. Call with the pod context. */}}
{{- define "dsinfer.kvCacheMem" -}}
{{- if gt (include "dsinfer.poolGpus" . | int) 0 -}}
{{- include "dsinfer.gpuKvCache" . -}}
{{- else -}}
{{- include "dsinfer.kvCacheBytes" . -}}
{{- end -}}
{{- end -}}

{{/* KV cache of one CPU pool's pods: server.kvCacheMemory, or for "auto" the memory limit minus
     the model, the overhead and a tmpfs model copy; "N%" is a share of the memory limit (the
     server reads the same limit from its cgroup) and renders as given. Fails when model + KV +
     overhead exceed the limit. Call with dict "root" $ "pool" $pool "server" S "model" M (the
     colour's effective server and model settings). */}}
{{- define "dsinfer.kvCacheBytes" -}}
{{- $v := .root.Values -}}
{{- $s := .server -}}
{{- $limit := include "dsinfer.bytes" (dict "value" .pool.resources.memory "what" (printf "pools[%s].resources.memory" .pool.name)) | int64 -}}
{{- $model := include "dsinfer.bytes" (dict "value" .model.sizeBytes "what" "model.sizeBytes") | int64 -}}
{{- $overhead := include "dsinfer.bytes" (dict "value" $s.memoryOverhead "what" "server.memoryOverhead") | int64 -}}
{{- $minKv := include "dsinfer.bytes" (dict "value" $s.minKvCacheMemory "what" "server.minKvCacheMemory") | int64 -}}
{{- $copy := 0 -}}
{{- if and $v.model.repository.remote (eq $v.model.cache.medium "Memory") -}}
{{- $copy = $model -}}
{{- end -}}
{{- $free := sub (sub (sub $limit $model) $overhead) $copy -}}
{{- $kv := $free -}}
{{- $pct := include "dsinfer.kvPercent" $s.kvCacheMemory | float64 -}}
{{- if gt $pct 0.0 -}}
{{- $kv = mulf $limit (divf $pct 100.0) | int64 -}}
{{- else if ne (toString $s.kvCacheMemory) "auto" -}}
{{- $kv = include "dsinfer.bytes" (dict "value" $s.kvCacheMemory "what" "server.kvCacheMemory") | int64 -}}
{{- end -}}
{{- if or (lt $kv $minKv) (gt $kv $free) -}}
{{- fail (printf "pool %s: memory limit %s (%d bytes) cannot hold model.sizeBytes %d + KV cache %d (server.kvCacheMemory=%v, at least server.minKvCacheMemory %d) + server.memoryOverhead %d%s. Raise pools[].resources.memory or lower the KV cache." .pool.name (toString .pool.resources.memory) $limit $model $kv $s.kvCacheMemory $minKv $overhead (ternary (printf " + model copy in tmpfs %d" $copy) "" (gt $copy 0))) -}}
{{- end -}}
{{- if gt $pct 0.0 }}{{ $s.kvCacheMemory }}{{ else }}{{ $kv }}{{ end -}}
{{- end -}}

{{/* KV cache of one GPU pool's pods, in GPU memory (where the Vulkan backend keeps the weights, the
     KV pool and the activations). --kv-cache-mem is the whole pool, over all of a pod's GPUs: the
     engine sizes its blocks from it (engine/engine_loader.cpp) and each device of a split holds
     its layers' rows of every block (vulkan/device_decoder.cpp), so the last device, with
     c = ceil(L/N) of the L layers (dsinfer.gpuShare), holds c/L of the weights' layers and of the
     KV pool plus its own activations. The chart budgets that device: W = ceil(model.sizeBytes *
     c/L), and "auto" = floor((resources.gpuMemory - W - server.gpuMemoryOverhead) * L/c), which
     for one GPU is gpuMemory - model.sizeBytes - gpuMemoryOverhead (needs gpuMemory); "N%" = a
     share of the pod's GPUs' memory summed (the engine's base for a split), rendered as given; a
     size as given. With gpuMemory every form is checked: W + ceil(KV * c/L) + gpuMemoryOverhead
     within one GPU; the server checks every device again at load. The host keeps
     server.memoryOverhead (+ a tmpfs model copy) within the memory limit. Call like kvCacheBytes. */}}
{{- define "dsinfer.gpuKvCache" -}}
{{- $v := .root.Values -}}
{{- $s := .server -}}
{{- $r := .pool.resources -}}
{{- $gpus := include "dsinfer.poolGpus" . | int64 -}}
{{- $share := include "dsinfer.gpuShare" . | fromJson -}}
{{- $c := int64 $share.num -}}
{{- $layers := int64 $share.den -}}
{{- $limit := include "dsinfer.bytes" (dict "value" $r.memory "what" (printf "pools[%s].resources.memory" .pool.name)) | int64 -}}
{{- $model := include "dsinfer.bytes" (dict "value" .model.sizeBytes "what" "model.sizeBytes") | int64 -}}
{{- $overhead := include "dsinfer.bytes" (dict "value" $s.memoryOverhead "what" "server.memoryOverhead") | int64 -}}
{{- $gpuOverhead := include "dsinfer.bytes" (dict "value" $s.gpuMemoryOverhead "what" "server.gpuMemoryOverhead") | int64 -}}
{{- $minKv := include "dsinfer.bytes" (dict "value" $s.minKvCacheMemory "what" "server.minKvCacheMemory") | int64 -}}
{{- $copy := 0 -}}
{{- if and $v.model.repository.remote (eq $v.model.cache.medium "Memory") -}}
{{- $copy = $model -}}
{{- end -}}
{{- if gt (add $overhead $copy) $limit -}}
{{- fail (printf "pool %s: memory limit %s (%d bytes) cannot hold server.memoryOverhead %d%s on the host. Raise pools[].resources.memory." .pool.name (toString $r.memory) $limit $overhead (ternary (printf " + model copy in tmpfs %d" $copy) "" (gt $copy 0))) -}}
{{- end -}}
{{- $gpuMem := 0 -}}
{{- if $r.gpuMemory -}}
{{- $gpuMem = include "dsinfer.bytes" (dict "value" $r.gpuMemory "what" (printf "pools[%s].resources.gpuMemory" .pool.name)) | int64 -}}
{{- end -}}
{{- /* The last device's weights: ceil(model * c/L) (the whole model for one GPU). */ -}}
{{- $weights := div (add (mul $model $c) $layers -1) $layers -}}
{{- if and $gpuMem (gt $gpus 1) (gt (add $weights $gpuOverhead) $gpuMem) -}}
{{- fail (printf "pool %s: the model does not fit even split over %d GPUs: the last GPU runs %d of its %d layers (colour %s, model.layers) and the output head; its share of model.sizeBytes %d, %d/%d = %d bytes, with server.gpuMemoryOverhead %d exceeds its memory %s (%d bytes, resources.gpuMemory) before any KV cache. Use more or larger GPUs, or a smaller model." .pool.name $gpus $c $layers .color $model $c $layers $weights $gpuOverhead (toString $r.gpuMemory) $gpuMem) -}}
{{- end -}}
{{- $pct := include "dsinfer.kvPercent" $s.kvCacheMemory | float64 -}}
{{- $kv := 0 -}}
{{- $out := "" -}}
{{- if eq (toString $s.kvCacheMemory) "auto" -}}
{{- if not $gpuMem -}}
{{- fail (printf "pool %s runs on a GPU: server.kvCacheMemory \"auto\" needs pools[].resources.gpuMemory, the GPU's memory as its driver reports it (nvidia-smi --query-gpu=memory.total --format=csv, e.g. 81559Mi for an H100 80GB), or set server.kvCacheMemory to a share of the GPU's memory (e.g. 40%%) or a size" .pool.name) -}}
{{- end -}}
{{- $kv = div (mul (sub (sub $gpuMem $weights) $gpuOverhead) $layers) $c -}}
{{- $out = toString $kv -}}
{{- else if gt $pct 0.0 -}}
{{- $kv = mulf (mul $gpuMem $gpus) (divf $pct 100.0) | int64 -}}
{{- $out = toString $s.kvCacheMemory -}}
{{- else -}}
{{- $kv = include "dsinfer.bytes" (dict "value" $s.kvCacheMemory "what" "server.kvCacheMemory") | int64 -}}
{{- $out = toString $kv -}}
{{- end -}}
{{- $kvLast := div (add (mul $kv $c) $layers -1) $layers -}}
{{- if and $gpuMem (or (lt $kv $minKv) (gt (add $weights $kvLast $gpuOverhead) $gpuMem)) -}}
{{- if gt $gpus 1 -}}
{{- fail (printf "pool %s: the last of its %d GPUs runs %d of the model's %d layers (colour %s, model.layers) and the output head: GPU memory %s (%d bytes, resources.gpuMemory) cannot hold %d/%d of model.sizeBytes %d (%d) + %d/%d of the KV cache %d (%d; server.kvCacheMemory=%v, at least server.minKvCacheMemory %d in all) + server.gpuMemoryOverhead %d. Use more or larger GPUs, a smaller model or a smaller KV cache." .pool.name $gpus $c $layers .color (toString $r.gpuMemory) $gpuMem $c $layers $model $weights $c $layers $kv $kvLast $s.kvCacheMemory $minKv $gpuOverhead) -}}
{{- else -}}
{{- fail (printf "pool %s: GPU memory %s (%d bytes, resources.gpuMemory) cannot hold model.sizeBytes %d + KV cache %d (server.kvCacheMemory=%v, at least server.minKvCacheMemory %d) + server.gpuMemoryOverhead %d. Use a GPU with more memory, a smaller model or a smaller KV cache." .pool.name (toString $r.gpuMemory) $gpuMem $model $kv $s.kvCacheMemory $minKv $gpuOverhead) -}}
{{- end -}}
{{- end -}}
{{- if and (not $gpuMem) (le $pct 0.0) (lt $kv $minKv) -}}
{{- fail (printf "pool %s: server.kvCacheMemory %v is below server.minKvCacheMemory %d" .pool.name $s.kvCacheMemory $minKv) -}}
{{- end -}}
{{- $out -}}
{{- end -}}
