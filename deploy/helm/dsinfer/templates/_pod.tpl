{{/* Pod template of one pool in one colour: this colour's image, model, server settings and
     resources over the shared ones, the spot drain fit, probes, Guaranteed QoS resources, the
     model prefetch. Shared by the Deployments and the Argo Rollouts (rollout.yaml).
     Call with dict "root" $ "pool" $pool "color" $color. */}}
{{- define "dsinfer.podTemplate" -}}
{{- $root := .root }}
{{- $pool := .pool }}
{{- $color := .color }}
{{- /* This colour's own settings over the shared ones: colours.<c>.{image,model,server,resources}
       (changing one colour never changes the other's rendering). */ -}}
{{- $c := index $root.Values.colors $color }}
{{- $s := mergeOverwrite (deepCopy $root.Values.server) (deepCopy ($c.server | default dict)) }}
{{- $m := deepCopy $root.Values.model }}
{{- range $k, $val := ($c.model | default dict) }}{{ if $val }}{{ $_ := set $m $k $val }}{{ end }}{{ end }}
{{- $res := mergeOverwrite (deepCopy $pool.resources) (deepCopy (index ($c.resources | default dict) $pool.name | default dict)) }}
{{- $p := merge (dict "resources" $res) $pool }}
{{- $ctx := dict "root" $root "pool" $p "color" $color "server" $s "model" $m }}
{{- $gl := include "dsinfer.glossaries" (dict "root" $root "color" $color) | fromJson }}
{{- include "dsinfer.checkGpu" $ctx }}
{{- /* A spot pod must finish its whole drain inside the cloud's interruption notice: its
       grace period shrinks to notice - drain delay - margin (never grows). */ -}}
{{- if $pool.spot }}
{{- $n := $root.Values.spotInterruption }}
{{- $fit := sub (sub (int $n.noticeSeconds) (int $s.drainDelaySeconds)) (int $n.marginSeconds) }}
{{- if lt $fit 5 }}
{{- fail (printf "pool %s is spot: spotInterruption.noticeSeconds %d leaves %d s for in-flight requests after server.drainDelaySeconds %d and spotInterruption.marginSeconds %d (at least 5 needed)" $pool.name (int $n.noticeSeconds) $fit (int $s.drainDelaySeconds) (int $n.marginSeconds)) }}
{{- end }}
{{- $s = merge (dict "gracePeriodSeconds" (min (int $s.gracePeriodSeconds) $fit) "terminationMarginSeconds" (int $n.marginSeconds)) $s }}
{{- end }}
metadata:
  labels:
    {{- include "dsinfer.poolSelectorLabels" $ctx | nindent 4 }}
    {{- with $root.Values.podLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  annotations:
    {{- with $root.Values.podAnnotations }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
    dsinfer.io/model-file: {{ $m.file | quote }}
    dsinfer.io/model-sha256: {{ $m.sha256 | quote }}
    {{- if $gl.files }}
    dsinfer.io/glossaries-sha256: {{ include "dsinfer.glossariesChecksum" $gl.files | quote }}
    {{- end }}
spec:
  serviceAccountName: {{ include "dsinfer.serviceAccountName" $root }}
  automountServiceAccountToken: {{ $root.Values.serviceAccount.automountToken }}
  {{- with $root.Values.imagePullSecrets }}
  imagePullSecrets:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with include "dsinfer.podPriorityClassName" $ctx }}
  priorityClassName: {{ . }}
  {{- end }}
  {{- with $pool.runtimeClassName }}
  runtimeClassName: {{ . }}
  {{- end }}
  # The server drains by itself (--drain-delay, then --grace-period); no preStop sleep.
  terminationGracePeriodSeconds: {{ include "dsinfer.terminationGracePeriodSeconds" $s }}
  securityContext:
    {{- toYaml $root.Values.podSecurityContext | nindent 4 }}
  {{- with $pool.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $pool.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $pool.affinity }}
  affinity:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- if $pool.topologySpread.enabled }}
  topologySpreadConstraints:
    {{- range $key := list "kubernetes.io/hostname" "topology.kubernetes.io/zone" }}
    - maxSkew: {{ $pool.topologySpread.maxSkew }}
      topologyKey: {{ $key }}
      whenUnsatisfiable: ScheduleAnyway
      labelSelector:
        matchLabels:
          {{- include "dsinfer.poolSelectorLabels" $ctx | nindent 10 }}
    {{- end }}
  {{- end }}
  initContainers:
    # Copies the model from the (remote) repository into the pod-local cache, verifies its
    # sha256, and reads it once so the server starts from the page cache.
    - name: model-prefetch
      image: {{ include "dsinfer.image" $ctx }}
      imagePullPolicy: {{ $root.Values.image.pullPolicy }}
      command: ["/bin/sh", "-c"]
      args:
        - |
          set -eu
          src="/models/${MODEL_FILE}"
          dst="${MODEL_DIR}/${MODEL_FILE}"
          [ -f "$src" ] || { echo "model file $src not found in the repository PVC" >&2; exit 1; }
          if [ "$src" != "$dst" ]; then
            mkdir -p "$(dirname "$dst")"
            cp "$src" "$dst.partial"
            mv "$dst.partial" "$dst"
          fi
          if [ -n "${MODEL_SHA256}" ]; then
            echo "${MODEL_SHA256}  $dst" | sha256sum -c -
          else
            cat "$dst" > /dev/null
          fi
          echo "model ready: $dst"
      env:
        - {name: MODEL_FILE, value: {{ $m.file | quote }}}
        - {name: MODEL_SHA256, value: {{ $m.sha256 | quote }}}
        - {name: MODEL_DIR, value: {{ include "dsinfer.modelDir" $root }}}
      resources:
        {{- include "dsinfer.resources" (dict "root" $root "pool" (dict "name" "model-prefetch" "resources" $root.Values.model.prefetch.resources)) | nindent 8 }}
      securityContext:
        {{- toYaml $root.Values.securityContext | nindent 8 }}
      volumeMounts:
        - {name: models, mountPath: /models, readOnly: true}
        {{- if $root.Values.model.repository.remote }}
        - {name: model-cache, mountPath: /model-cache}
        {{- end }}
  containers:
    - name: dsinfer
      image: {{ include "dsinfer.image" $ctx }}
      imagePullPolicy: {{ $root.Values.image.pullPolicy }}
      {{- with $s.extraArgs }}
      args:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      env:
        - {name: DSINFER_MODEL, value: {{ printf "%s/%s" (include "dsinfer.modelDir" $root) $m.file | quote }}}
        - {name: DSINFER_HOST, value: "0.0.0.0"}
        - {name: DSINFER_PORT, value: {{ $s.port | quote }}}
        # Compute threads = the CPU limit (whole cores, request = limit): the HPA's CPU
        # utilisation and the engine's parallelism measure the same cores.
        - {name: DSINFER_THREADS, value: {{ $p.resources.cpu | int | quote }}}
        {{- if gt (include "dsinfer.poolGpus" $ctx | int) 0 }}
        {{- /* Several GPUs: the layers split over them (dsinfer.device), KV sized on each GPU's
               share (dsinfer.gpuKvCache). The rendered comment stays as it was for one GPU. */}}
        # The model and its KV pool on the pod's GPU (image.gpu flavour); KV = GPU memory - model
        # - GPU overhead (or server.kvCacheMemory), checked at render time and by the server at load.
        - {name: DSINFER_DEVICE, value: {{ include "dsinfer.device" $ctx | quote }}}
        - {name: DSINFER_KV_CACHE_MEM, value: {{ include "dsinfer.kvCacheMem" $ctx | quote }}}
        {{- else }}
        # Memory limit - model - overhead (or server.kvCacheMemory), checked at render time.
        - {name: DSINFER_KV_CACHE_MEM, value: {{ include "dsinfer.kvCacheMem" $ctx | quote }}}
        {{- end }}
        {{- with $s.modelName }}
        - {name: DSINFER_MODEL_NAME, value: {{ . | quote }}}
        {{- end }}
        # Durations in seconds, as `dsinfer serve` reads them.
        - {name: DSINFER_DRAIN_DELAY, value: {{ int $s.drainDelaySeconds | toString | quote }}}
        - {name: DSINFER_GRACE_PERIOD, value: {{ int $s.gracePeriodSeconds | toString | quote }}}
        - {name: DSINFER_STALL_TIMEOUT, value: {{ int $s.stallTimeoutSeconds | toString | quote }}}
        - {name: DSINFER_MAX_BODY_BYTES, value: {{ int64 $s.maxBodyBytes | quote }}}
        {{- if not (kindIs "invalid" $s.warmupRequests) }}
        - {name: DSINFER_WARMUP_REQUESTS, value: {{ $s.warmupRequests | toString | quote }}}
        {{- end }}
        {{- if or $gl.files $gl.existingConfigMap }}
        - {name: DSINFER_GLOSSARY_DIR, value: {{ include "dsinfer.glossaryDir" $root }}}
        {{- end }}
        {{- if $root.Values.apiKey.enabled }}
        - name: DSINFER_API_KEY
          valueFrom:
            secretKeyRef:
              name: {{ include "dsinfer.apiKeySecretName" $root }}
              key: {{ $root.Values.apiKey.secretKey }}
        {{- end }}
        {{- if gt (include "dsinfer.poolGpus" $ctx | int) 0 }}
        # Vulkan needs the driver's graphics libraries (ICD) mounted, not only compute.
        - {name: NVIDIA_DRIVER_CAPABILITIES, value: "compute,utility,graphics"}
        {{- end }}
        {{- with $s.extraEnv }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      ports:
        - {name: http, containerPort: {{ $s.port }}, protocol: TCP}
      # Ready = model loaded, warmed up, not draining. The startup probe gives loading
      # its own budget; liveness fails when an engine step stalls or the engine has failed
      # for good (a lost GPU), so the kubelet restarts the pod.
      startupProbe:
        httpGet: {path: /health/ready, port: http}
        periodSeconds: {{ $root.Values.probes.startup.periodSeconds }}
        timeoutSeconds: 3
        failureThreshold: {{ div (add $root.Values.probes.startup.budgetSeconds $root.Values.probes.startup.periodSeconds -1) $root.Values.probes.startup.periodSeconds }}
      readinessProbe:
        httpGet: {path: /health/ready, port: http}
        periodSeconds: {{ $root.Values.probes.readiness.periodSeconds }}
        timeoutSeconds: {{ $root.Values.probes.readiness.timeoutSeconds }}
        failureThreshold: {{ $root.Values.probes.readiness.failureThreshold }}
        successThreshold: 1
      livenessProbe:
        httpGet: {path: /health/live, port: http}
        periodSeconds: {{ $root.Values.probes.liveness.periodSeconds }}
        timeoutSeconds: {{ $root.Values.probes.liveness.timeoutSeconds }}
        failureThreshold: {{ $root.Values.probes.liveness.failureThreshold }}
      resources:
        {{- include "dsinfer.resources" $ctx | nindent 8 }}
      securityContext:
        {{- toYaml $root.Values.securityContext | nindent 8 }}
      volumeMounts:
        - {name: tmp, mountPath: /tmp}
        {{- if $root.Values.model.repository.remote }}
        - {name: model-cache, mountPath: /model-cache, readOnly: true}
        {{- else }}
        - {name: models, mountPath: /models, readOnly: true}
        {{- end }}
        {{- if or $gl.files $gl.existingConfigMap }}
        - {name: glossaries, mountPath: {{ include "dsinfer.glossaryDir" $root }}, readOnly: true}
        {{- end }}
  volumes:
    - name: tmp
      emptyDir: {sizeLimit: 1Gi}
    - name: models
      persistentVolumeClaim:
        claimName: {{ include "dsinfer.modelClaimName" $root }}
        readOnly: true
    {{- if $root.Values.model.repository.remote }}
    - name: model-cache
      emptyDir:
        sizeLimit: {{ $root.Values.model.cache.sizeLimit }}
        {{- with $root.Values.model.cache.medium }}
        medium: {{ . }}
        {{- end }}
    {{- end }}
    {{- if or $gl.files $gl.existingConfigMap }}
    - name: glossaries
      configMap:
        name: {{ $gl.existingConfigMap | default (include "dsinfer.glossariesConfigMapName" (dict "root" $root "color" $color)) }}
    {{- end }}
{{- end -}}
