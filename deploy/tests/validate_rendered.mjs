// Checks one `helm template` output offline: every object against the Kubernetes /
// prometheus-operator / KEDA schemas (kubernetes-models) with unknown fields refused
// (known_fields.mjs), a deny-list of removed API versions, and the chart's wiring (HPA metrics, colour selection, grace period, probes, restricted PSS).
// usage: node validate_rendered.mjs RENDERED.yaml CHART_DIR [VALUES.yaml [OUT_QUERIES.yaml]]
//   exit 1 on any finding; OUT_QUERIES receives the ScaledObjects' and AnalysisTemplates' PromQL as recording rules for
//   `promtool check rules`.
// usage: node validate_rendered.mjs --mutants CHART_DIR [--values VALUES.yaml] MUTANT.yaml...
//   exit 1 unless every mutant (of a rendering with those values, default: the chart's) has a
//   finding; prints the first of each.
import fs from "node:fs";
import path from "node:path";
import { parseAllDocuments, parse, stringify } from "yaml";
import { unknownFields } from "./known_fields.mjs";
import { checkPriority } from "./check_priority.mjs";
import { checkRollouts } from "./check_rollouts.mjs";
import { checkGateway } from "./check_gateway.mjs";
import { checkGlossaries } from "./check_glossaries.mjs";
import { checkDevice } from "./check_device.mjs";
import { crdErrors } from "./crd_schema.mjs";

const argv = process.argv.slice(2);
const mutantMode = argv[0] === "--mutants";
// --schema-only FILE...: schemas, unknown fields and removed APIs only (example manifests such as
// deploy/examples/*.yaml, which are not chart renderings).
const schemaOnly = argv[0] === "--schema-only";
const mutantValues = mutantMode && argv[2] === "--values" ? argv[3] : null;
const mutantFiles = mutantMode ? argv.slice(mutantValues ? 4 : 2) : [];
const [renderedPath, chartDir, valuesPath, queriesPath] = mutantMode ? [null, argv[1], mutantValues, null] : argv;
if (!schemaOnly && (!chartDir || (!mutantMode && !renderedPath))) {
  console.error("usage: node validate_rendered.mjs RENDERED.yaml CHART_DIR [VALUES.yaml [OUT_QUERIES.yaml]] | --mutants CHART_DIR [--values VALUES.yaml] FILE...");
  process.exit(2);
}
let problems = [];
const problem = (obj, msg) => problems.push(`${obj ? `${obj.kind}/${obj.metadata?.name}: ` : ""}${msg}`);

// Helm's value merge: maps merge recursively, everything else (lists included) is replaced.
function merge(base, over) {
  if (over === null || typeof over !== "object" || Array.isArray(over)) return over;
  const out = { ...(base && typeof base === "object" && !Array.isArray(base) ? base : {}) };
  for (const [k, v] of Object.entries(over)) out[k] = k in out ? merge(out[k], v) : v;
  return out;
}
let values = schemaOnly ? {} : parse(fs.readFileSync(path.join(chartDir, "values.yaml"), "utf8"));
if (valuesPath) values = merge(values, parse(fs.readFileSync(valuesPath, "utf8")) ?? {});

// ---- API versions: removed ones are refused (they would fail on any current cluster).
const removed = new Set([
  "extensions/v1beta1", "apps/v1beta1", "apps/v1beta2", "autoscaling/v2beta1", "autoscaling/v2beta2",
  "policy/v1beta1", "networking.k8s.io/v1beta1", "batch/v1beta1", "batch/v2alpha1",
  "rbac.authorization.k8s.io/v1beta1", "rbac.authorization.k8s.io/v1alpha1",
  "storage.k8s.io/v1beta1", "scheduling.k8s.io/v1beta1", "scheduling.k8s.io/v1alpha1",
  "admissionregistration.k8s.io/v1beta1", "apiextensions.k8s.io/v1beta1", "apiregistration.k8s.io/v1beta1",
  "certificates.k8s.io/v1beta1", "coordination.k8s.io/v1beta1", "discovery.k8s.io/v1beta1",
  "events.k8s.io/v1beta1", "node.k8s.io/v1beta1", "flowcontrol.apiserver.k8s.io/v1beta1",
  "flowcontrol.apiserver.k8s.io/v1beta2", "autoscaling.k8s.io/v1beta1", "keda.k8s.io/v1alpha1",
  "monitoring.coreos.com/v1alpha1",
]);

// check(FILE): every finding about one rendering, in `problems`; returns the objects.
async function check(file) {
  problems = [];
  const objects = [];
  for (const doc of parseAllDocuments(fs.readFileSync(file, "utf8"))) {
    if (doc.errors.length) problem(null, `YAML error: ${doc.errors[0].message}`);
    const obj = doc.toJS();
    if (obj) objects.push(obj);
  }
  if (objects.length === 0) problem(null, "nothing rendered");

  // ---- Schema validation through the model classes of kubernetes-models.
  function modulePath(apiVersion, kind) {
    const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
    if (group === "monitoring.coreos.com") return `@kubernetes-models/prometheus-operator/${apiVersion}/${kind}`;
    if (group === "keda.sh") return `@kubernetes-models/keda/${apiVersion}/${kind}`;
    if (group === "karpenter.sh" || group === "karpenter.k8s.aws") return `@kubernetes-models/karpenter/${apiVersion}/${kind}`;
    if (group === "argoproj.io") return `@kubernetes-models/argo-rollouts/${apiVersion}/${kind}`;
    return group ? `kubernetes-models/${group}/${version}/${kind}` : `kubernetes-models/${version}/${kind}`;
  }
  for (const obj of objects) {
    if (!obj.apiVersion || !obj.kind) { problem(obj, "missing apiVersion/kind"); continue; }
    if (removed.has(obj.apiVersion)) problem(obj, `removed API version ${obj.apiVersion}`);
    const crd = crdErrors(obj);  // CRDs no npm package covers: their published schema
    if (crd) {
      for (const e of crd.slice(0, 4)) problem(obj, `schema (published CRD): ${e}`);
      continue;
    }
    let Model;
    try {
      Model = (await import(modulePath(obj.apiVersion, obj.kind)))[obj.kind];
    } catch (e) {
      problem(obj, `no schema for ${obj.apiVersion} ${obj.kind} (${e.code ?? e.message})`);
      continue;
    }
    try {
      new Model(obj).validate();
    } catch (e) {
      problem(obj, `schema: ${e.message.split("\n").slice(0, 4).join("; ")}`);
    }
    for (const field of unknownFields(obj, modulePath(obj.apiVersion, obj.kind))) problem(obj, `unknown field ${field}`);
  }

  // ---- Wiring (a malformed object must produce a finding, not a crash).
  if (schemaOnly) return objects;
  try {
    const byKind = (k) => objects.filter((o) => o.kind === k);
    const matches = (selector, labels) => Object.entries(selector ?? {}).every(([k, v]) => labels?.[k] === v);
    // The pool workloads: Deployments, or Argo Rollouts (rollouts.enabled) in their place.
    const workloadKind = values.rollouts?.enabled ? "Rollout" : "Deployment";
    // (the inference gateway's endpoint picker is a Deployment too, without a pool label)
    const isPool = (w) => w.spec?.template?.metadata?.labels?.["dsinfer.io/pool"] !== undefined;
    const deployments = byKind(workloadKind).filter(isPool);
    if (values.rollouts?.enabled && byKind("Deployment").filter(isPool).length) problem(null, "Deployments rendered beside the Rollouts (the pool's pods would run twice)");
    const podLabels = (d) => d.spec.template.metadata.labels;
    const colorOf = (d) => podLabels(d)["dsinfer.io/color"];
    const enabledPools = values.pools.filter((p) => p.enabled);
    const enabledColors = ["blue", "green"].filter((c) => values.colors[c].enabled);
    if (deployments.length !== enabledPools.length * enabledColors.length)
      problem(null, `${deployments.length} ${workloadKind}s for ${enabledPools.length} pools x ${enabledColors.length} colours`);

    const durationSeconds = (s) => {
      const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(String(s));
      if (!m) return NaN;
      return Number(m[1]) * { ms: 0.001, s: 1, m: 60, h: 3600 }[m[2] ?? "s"];
    };
    // Flags of `dsinfer serve` the chart may set (issue 7's contract), as DSINFER_* env names.
    const serverEnv = new Set(["DSINFER_MODEL", "DSINFER_HOST", "DSINFER_PORT", "DSINFER_MODEL_NAME",
      "DSINFER_DRAIN_DELAY", "DSINFER_GRACE_PERIOD", "DSINFER_STALL_TIMEOUT", "DSINFER_API_KEY",
      "DSINFER_MAX_BODY_BYTES", "DSINFER_WARMUP_REQUESTS", "DSINFER_THREADS", "DSINFER_KV_CACHE_MEM",
      "DSINFER_GLOSSARY_DIR", "DSINFER_DEVICE"]);
    const extraEnv = new Set((values.server.extraEnv ?? []).map((e) => e.name));

    function checkRestricted(d, spec) {
      const psc = spec.securityContext ?? {};
      if (spec.hostNetwork || spec.hostPID || spec.hostIPC) problem(d, "host namespaces used");
      if ((spec.volumes ?? []).some((v) => v.hostPath)) problem(d, "hostPath volume (not allowed by restricted)");
      const seccompPod = psc.seccompProfile?.type;
      for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
        const sc = c.securityContext ?? {};
        const where = `container ${c.name}`;
        if (sc.allowPrivilegeEscalation !== false) problem(d, `${where}: allowPrivilegeEscalation must be false`);
        if (sc.privileged) problem(d, `${where}: privileged`);
        if (!(sc.capabilities?.drop ?? []).includes("ALL")) problem(d, `${where}: capabilities must drop ALL`);
        if ((sc.capabilities?.add ?? []).some((cap) => cap !== "NET_BIND_SERVICE")) problem(d, `${where}: adds capabilities`);
        if ((sc.runAsNonRoot ?? psc.runAsNonRoot) !== true) problem(d, `${where}: runAsNonRoot must be true`);
        if ((sc.runAsUser ?? psc.runAsUser) === 0) problem(d, `${where}: runs as uid 0`);
        if (!["RuntimeDefault", "Localhost"].includes(sc.seccompProfile?.type ?? seccompPod)) problem(d, `${where}: seccomp must be RuntimeDefault`);
        if (sc.readOnlyRootFilesystem !== true) problem(d, `${where}: root filesystem must be read-only`);
        if ((c.ports ?? []).some((p) => p.hostPort)) problem(d, `${where}: hostPort`);
      }
    }

    // A colour's own settings over the shared ones (as the chart merges them).
    const poolResources = (d, pool) => ({ ...pool.resources, ...(values.colors[colorOf(d)].resources?.[pool.name] ?? {}) });
    const colorServer = (c) => ({ ...values.server, ...(values.colors[c].server ?? {}) });
    const colorModel = (c) => {
      const m = { ...values.model };
      for (const [k, v] of Object.entries(values.colors[c].model ?? {})) if (v) m[k] = v;
      return m;
    };
    for (const d of deployments) {
      const spec = d.spec.template.spec;
      const server = colorServer(colorOf(d)), model = colorModel(colorOf(d));
      const spotPool = values.pools.find((p) => p.name === podLabels(d)["dsinfer.io/pool"])?.spot;
      if (spotPool) {  // the chart fits a spot pod's drain inside the interruption notice
        const n = values.spotInterruption;
        server.gracePeriodSeconds = Math.min(server.gracePeriodSeconds, n.noticeSeconds - server.drainDelaySeconds - n.marginSeconds);
        server.terminationMarginSeconds = n.marginSeconds;
        if (spec.terminationGracePeriodSeconds > n.noticeSeconds) problem(d, `spot pod terminationGracePeriodSeconds ${spec.terminationGracePeriodSeconds} > notice ${n.noticeSeconds}`);
      }
      if (!matches(d.spec.selector.matchLabels, podLabels(d))) problem(d, "selector does not match its pod labels");
      checkRestricted(d, spec);
      const main = spec.containers.find((c) => c.name === "dsinfer");
      if (!main) { problem(d, "no container named dsinfer"); continue; }
      const env = Object.fromEntries((main.env ?? []).map((e) => [e.name, e]));
      for (const name of Object.keys(env))
        if (name.startsWith("DSINFER_") && !serverEnv.has(name) && !extraEnv.has(name)) problem(d, `env ${name} is not a dsinfer serve setting`);
      const port = Number(env.DSINFER_PORT?.value);
      if (port !== server.port) problem(d, `DSINFER_PORT ${env.DSINFER_PORT?.value} != server.port ${server.port}`);
      const http = (main.ports ?? []).find((p) => p.name === "http");
      if (!http || http.containerPort !== port) problem(d, "container port 'http' must be DSINFER_PORT");
      // Probes: the server's routes, on its port.
      const probe = (p, route, what) => {
        if (!p?.httpGet) return problem(d, `${what} missing`);
        if (p.httpGet.path !== route) problem(d, `${what} path ${p.httpGet.path}, expected ${route}`);
        if (p.httpGet.port !== "http" && p.httpGet.port !== port) problem(d, `${what} port ${p.httpGet.port} is not the server's`);
      };
      probe(main.startupProbe, "/health/ready", "startupProbe");
      probe(main.readinessProbe, "/health/ready", "readinessProbe");
      probe(main.livenessProbe, "/health/live", "livenessProbe");
      const startupBudget = (main.startupProbe?.failureThreshold ?? 3) * (main.startupProbe?.periodSeconds ?? 10);
      if (startupBudget < values.probes.startup.budgetSeconds) problem(d, `startup probe allows ${startupBudget}s < budget ${values.probes.startup.budgetSeconds}s`);
      if (main.lifecycle?.preStop) problem(d, "preStop hook present: the server's --drain-delay does that job");
      // Grace period: from the very values the server is configured with (its env).
      const drain = durationSeconds(env.DSINFER_DRAIN_DELAY?.value);
      const grace = durationSeconds(env.DSINFER_GRACE_PERIOD?.value);
      const margin = server.terminationMarginSeconds;
      if (!(drain >= 0) || !(grace >= 0)) problem(d, "DSINFER_DRAIN_DELAY / DSINFER_GRACE_PERIOD missing or not durations");
      if (drain !== server.drainDelaySeconds || grace !== server.gracePeriodSeconds) problem(d, "drain/grace env differ from values");
      if (!(spec.terminationGracePeriodSeconds >= drain + grace + margin))
        problem(d, `terminationGracePeriodSeconds ${spec.terminationGracePeriodSeconds} < drain ${drain} + grace ${grace} + margin ${margin}`);
      // The model file is on a mounted volume.
      const modelPath = env.DSINFER_MODEL?.value ?? "";
      if (!(main.volumeMounts ?? []).some((m) => modelPath.startsWith(m.mountPath + "/"))) problem(d, `DSINFER_MODEL ${modelPath} is not on a mounted volume`);
      if (!modelPath.endsWith(`/${model.file}`)) problem(d, `DSINFER_MODEL ${modelPath} is not the colour's model ${model.file}`);
      if (values.apiKey.enabled && !env.DSINFER_API_KEY?.valueFrom?.secretKeyRef) problem(d, "API key must come from a Secret");
      if (env.DSINFER_API_KEY?.value) problem(d, "API key as a literal env value");
      // Pool placement and resources.
      const pool = enabledPools.find((p) => p.name === podLabels(d)["dsinfer.io/pool"]);
      if (!pool) { problem(d, "pod label dsinfer.io/pool names no enabled pool"); continue; }
      const gpu = poolResources(d, pool).gpu ?? 0;
      if (String(main.resources?.limits?.["nvidia.com/gpu"] ?? 0) !== String(gpu)) problem(d, `GPU limit ${main.resources?.limits?.["nvidia.com/gpu"]} != pool's ${gpu}`);
      // Guaranteed QoS: every container (init containers too) has cpu + memory requests = limits.
      for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
        const r = c.resources ?? {};
        for (const k of ["cpu", "memory"])
          if (r.limits?.[k] === undefined || String(r.requests?.[k]) !== String(r.limits?.[k])) problem(d, `container ${c.name}: ${k} request ${r.requests?.[k]} != limit ${r.limits?.[k]} (not Guaranteed QoS)`);
      }
      // The engine's threads are the CPU limit, in whole cores.
      const cpuLimit = String(main.resources?.limits?.cpu ?? "");
      if (!/^[0-9]+$/.test(cpuLimit)) problem(d, `CPU limit ${cpuLimit} is not whole cores`);
      if (env.DSINFER_THREADS?.value !== cpuLimit) problem(d, `DSINFER_THREADS ${env.DSINFER_THREADS?.value} != CPU limit ${cpuLimit}`);
      if (String(main.resources?.limits?.memory) !== String(poolResources(d, pool).memory)) problem(d, `memory limit ${main.resources?.limits?.memory} != pool's ${poolResources(d, pool).memory}`);
      const sorted = (m) => JSON.stringify(Object.entries(m ?? {}).sort());
      if (sorted(spec.nodeSelector) !== sorted(pool.nodeSelector)) problem(d, "nodeSelector differs from the pool's");
      if ((spec.tolerations ?? []).length !== (pool.tolerations ?? []).length) problem(d, "tolerations differ from the pool's");
    }

    // Image flavour, device and KV-cache budget (host memory or GPU memory) of each pool.
    checkDevice(values, deployments, chartDir, problem, (d) => {
      const pool = enabledPools.find((p) => p.name === podLabels(d)["dsinfer.io/pool"]) ?? { resources: {} };
      return { server: colorServer(colorOf(d)), model: colorModel(colorOf(d)), resources: poolResources(d, pool) };
    });
    checkPriority(objects, values, deployments, problem);
    checkRollouts(objects, values, deployments, problem);
    checkGateway(objects, values, deployments, chartDir, problem);
    checkGlossaries(objects, values, deployments, problem);

    // Names: unique per kind, DNS labels (<= 63), and every per-pool object ends in -<pool>-<colour>
    // whatever the release name (truncation cuts the prefix, never the suffix).
    const seen = new Set();
    for (const o of objects) {
      const key = `${o.kind}/${o.metadata?.name}`;
      if (seen.has(key)) problem(o, "name used twice (one object would overwrite the other)");
      seen.add(key);
      if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(o.metadata?.name ?? "")) problem(o, "name is not a DNS label of <= 63 characters");
    }
    for (const o of objects.filter((x) => ["Deployment", "Rollout", "HorizontalPodAutoscaler", "ScaledObject", "PodDisruptionBudget"].includes(x.kind))) {
      const l = o.kind === "Deployment" || o.kind === "Rollout" ? podLabels(o) : (o.spec.selector?.matchLabels ?? o.metadata.labels ?? {});
      const want = `-${l["dsinfer.io/pool"]}-${l["dsinfer.io/color"]}`;
      if (l["dsinfer.io/pool"] && !o.metadata.name.endsWith(want)) problem(o, `name does not end in ${want}`);
    }

    // Services: the API Service selects exactly the active colour; the metrics Service every pod.
    const services = byKind("Service");
    const api = services.find((s) => s.metadata.labels?.["dsinfer.io/service"] === "api");
    const metricsSvc = services.find((s) => s.metadata.labels?.["dsinfer.io/service"] === "metrics");
    if (!api) problem(null, "no API Service");
    else {
      if (api.spec.selector?.["dsinfer.io/color"] !== values.activeColor) problem(api, `selector colour ${api.spec.selector?.["dsinfer.io/color"]} != activeColor ${values.activeColor}`);
      // With Argo Rollouts the Service also needs the label Argo puts on promoted pods only.
      const { "dsinfer.io/rollout": rolloutRole, ...podSelector } = api.spec.selector ?? {};
      if (values.rollouts?.enabled && rolloutRole !== "active") problem(api, "must select dsinfer.io/rollout: active (else it sends traffic to the preview too)");
      if (!values.rollouts?.enabled && rolloutRole !== undefined) problem(api, "selects dsinfer.io/rollout without Argo Rollouts (no pod carries it)");
      const selected = deployments.filter((d) => matches(podSelector, podLabels(d)));
      if (selected.length === 0) problem(api, "selects no Deployment");
      for (const d of selected) if (colorOf(d) !== values.activeColor) problem(api, `selects ${d.metadata.name} of the idle colour`);
      for (const d of deployments) if (colorOf(d) === values.activeColor && !selected.includes(d)) problem(api, `misses ${d.metadata.name}`);
      if (!api.spec.ports.some((p) => p.targetPort === "http")) problem(api, "targetPort must be the 'http' port");
    }
    if (metricsSvc) {
      for (const d of deployments) if (!matches(metricsSvc.spec.selector, podLabels(d))) problem(metricsSvc, `misses ${d.metadata.name}`);
    }

    // Autoscalers: one per Deployment, both metrics, the behaviour of the values.
    const adapter = parse(fs.readFileSync(path.join(chartDir, "files/monitoring/prometheus-adapter-values.yaml"), "utf8"));
    const adapterMetrics = new Set(adapter.rules.custom.map((r) => r.name.as));
    const a = values.autoscaling;
    const hpas = byKind("HorizontalPodAutoscaler");
    const scaled = byKind("ScaledObject");
    const expectHpa = a.enabled && a.engine === "hpa";
    const expectKeda = a.enabled && a.engine === "keda";
    if (hpas.length !== (expectHpa ? deployments.length : 0)) problem(null, `${hpas.length} HPAs for ${deployments.length} Deployments (engine ${a.engine}, enabled ${a.enabled})`);
    if (scaled.length !== (expectKeda ? deployments.length : 0)) problem(null, `${scaled.length} ScaledObjects for ${deployments.length} Deployments`);
    for (const h of hpas) {
      if (h.apiVersion !== "autoscaling/v2") problem(h, "must be autoscaling/v2");
      if (!deployments.some((d) => d.metadata.name === h.spec.scaleTargetRef.name && h.spec.scaleTargetRef.kind === d.kind && h.spec.scaleTargetRef.apiVersion === d.apiVersion)) problem(h, `scaleTargetRef names no ${workloadKind}`);
      const cpu = h.spec.metrics.find((m) => m.type === "Resource" && m.resource.name === "cpu");
      const lat = h.spec.metrics.find((m) => m.type === "Pods");
      if (a.cpu.enabled && (cpu?.resource.target.type !== "Utilization" || cpu.resource.target.averageUtilization !== a.cpu.averageUtilization))
        problem(h, `CPU metric must be Utilization ${a.cpu.averageUtilization}%`);
      if (a.latency.enabled) {
        if (lat?.pods.metric.name !== a.latency.metricName) problem(h, `Pods metric must be ${a.latency.metricName}`);
        if (lat?.pods.target.type !== "AverageValue" || String(lat?.pods.target.averageValue) !== String(a.latency.targetAverageValue)) problem(h, `Pods target must be AverageValue ${a.latency.targetAverageValue}`);
        if (!adapterMetrics.has(lat?.pods.metric.name)) problem(h, `metric ${lat?.pods.metric.name} is not served by the prometheus-adapter rules`);
      }
      if (h.spec.minReplicas < 1 || h.spec.maxReplicas < h.spec.minReplicas) problem(h, "bad replica bounds");
      if (h.spec.behavior?.scaleDown?.stabilizationWindowSeconds !== a.behavior.scaleDown.stabilizationWindowSeconds) problem(h, "scale-down stabilisation differs from values");
      if ((h.spec.behavior?.scaleUp?.stabilizationWindowSeconds ?? 0) > 60) problem(h, "scale-up is not fast");
    }
    for (const s of scaled) {
      if (!deployments.some((d) => d.metadata.name === s.spec.scaleTargetRef.name && s.spec.scaleTargetRef.kind === d.kind && s.spec.scaleTargetRef.apiVersion === d.apiVersion)) problem(s, `scaleTargetRef names no ${workloadKind}`);
      const prom = s.spec.triggers.find((t) => t.type === "prometheus" && t.name === "latency-p95");
      if (a.latency.enabled) {
        if (!prom) problem(s, "no prometheus latency trigger");
        else {
          const q = prom.metadata.query;
          if (!q.includes(`histogram_quantile(${a.latency.quantile},`) || !q.includes(a.latency.histogram)) problem(s, "latency query is not the adapter's p95");
          if (prom.metricType !== "Value") problem(s, "latency trigger must use metricType Value");
        }
      }
      if (a.cpu.enabled && !s.spec.triggers.some((t) => t.type === "cpu")) problem(s, "no cpu trigger");
      if (a.keda.saturation?.enabled) {
        const q = s.spec.triggers.find((t) => t.name === "queue"), kv = s.spec.triggers.find((t) => t.name === "kv-usage");
        if (!q?.metadata.query.includes("inference_requests_waiting") || q.metricType !== "AverageValue") problem(s, "queue trigger must be AverageValue of inference_requests_waiting");
        if (!kv?.metadata.query.includes("inference_kv_cache_usage_ratio") || kv.metricType !== "Value") problem(s, "kv-usage trigger must be the Value of inference_kv_cache_usage_ratio");
      }
    }

    if (queriesPath) {
      const rules = scaled.flatMap((s) => s.spec.triggers.filter((t) => t.type === "prometheus")
        .map((t) => ({ record: `keda:${s.metadata.name}:${t.name}`.replace(/[^a-zA-Z0-9_:]/g, "_"), expr: t.metadata.query })));
      // ... and the Argo Rollouts analysis queries ({{args.*}} sit inside label strings: valid PromQL).
      for (const at of byKind("AnalysisTemplate"))
        for (const m of at.spec.metrics ?? [])
          if (m.provider?.prometheus?.query) rules.push({ record: `analysis:${at.metadata.name}:${m.name}`.replace(/[^a-zA-Z0-9_:]/g, "_"), expr: m.provider.prometheus.query });
      fs.writeFileSync(queriesPath, rules.length ? stringify({ groups: [{ name: "keda-and-analysis-queries", rules }] }) : "");
    }

    // PDBs select their pool's pods; a pod that is not Ready never blocks a drain.
    for (const p of byKind("PodDisruptionBudget")) {
      if (!deployments.some((d) => matches(p.spec.selector.matchLabels, podLabels(d)))) problem(p, "selects no pods");
      if (p.spec.unhealthyPodEvictionPolicy !== "AlwaysAllow") problem(p, `unhealthyPodEvictionPolicy ${p.spec.unhealthyPodEvictionPolicy}, expected AlwaysAllow`);
    }
    // Storage: the PVC uses the cluster default unless a class is named; a chart-made class keeps
    // the uploaded models (Retain).
    for (const sc of byKind("StorageClass")) if (sc.reclaimPolicy !== "Retain") problem(sc, `reclaimPolicy ${sc.reclaimPolicy}, expected Retain`);
    for (const pvc of byKind("PersistentVolumeClaim"))
      if ((pvc.spec.storageClassName ?? "") !== values.model.repository.storageClassName) problem(pvc, `storageClassName ${pvc.spec.storageClassName} != model.repository.storageClassName`);

    // NetworkPolicy: ingress only, from the allowed places, including Prometheus.
    for (const np of byKind("NetworkPolicy")) {
      if (!deployments.every((d) => matches(np.spec.podSelector.matchLabels, podLabels(d)))) problem(np, "does not cover every dsinfer pod");
      if (!np.spec.policyTypes.includes("Ingress")) problem(np, "must restrict ingress");
      const peers = np.spec.ingress.flatMap((r) => r.from ?? []);
      if (!peers.some((p) => p.namespaceSelector?.matchLabels?.["kubernetes.io/metadata.name"] === values.networkPolicy.prometheus.namespace)) problem(np, "Prometheus cannot scrape");
      const gw = values.networkPolicy.gateway ?? {};
      if (gw.namespace && !peers.some((p) => p.namespaceSelector?.matchLabels?.["kubernetes.io/metadata.name"] === gw.namespace)) problem(np, `the gateway namespace ${gw.namespace} is not admitted`);
    }

    // ServiceMonitor scrapes the metrics Service (both colours); PrometheusRule carries the alerts.
    for (const sm of byKind("ServiceMonitor")) {
      if (!metricsSvc || !matches(sm.spec.selector.matchLabels, metricsSvc.metadata.labels)) problem(sm, "does not select the metrics Service");
      if (api && matches(sm.spec.selector.matchLabels, api.metadata.labels)) problem(sm, "selects the API Service (idle colour unscraped)");
      if (!sm.spec.endpoints.some((e) => e.path === "/metrics" && e.port === "http")) problem(sm, "must scrape /metrics on port http");
    }
    for (const pr of byKind("PrometheusRule")) {
      const alerts = pr.spec.groups.flatMap((g) => g.rules).filter((r) => r.alert);
      if (alerts.length < 15) problem(pr, `${alerts.length} alerts < 15`);
      for (const r of alerts) if (!r.annotations?.runbook_url) problem(pr, `alert ${r.alert} without runbook_url`);
    }
  } catch (e) {
    problem(null, `wiring checks failed on a malformed object: ${e.message}`);
  }
  return objects;
}

if (schemaOnly) {
  let bad = 0;
  for (const file of argv.slice(1)) {
    const objs = await check(file);
    if (problems.length) { console.error(`FAIL ${file}:\n  ${problems.join("\n  ")}`); bad++; }
    else console.log(`ok ${path.basename(file)}: ${objs.map((o) => `${o.apiVersion} ${o.kind}`).join(", ")} valid, no unknown fields`);
  }
  process.exit(bad ? 1 : 0);
}
if (mutantMode) {
  let missed = 0;
  for (const file of mutantFiles) {
    await check(file);
    if (problems.length) console.log(`caught ${path.basename(file)}: ${problems[0]}`);
    else { console.error(`NOT CAUGHT: ${file}`); missed++; }
  }
  process.exit(missed ? 1 : 0);
}
const objects = await check(renderedPath);
const kinds = {};
for (const o of objects) kinds[o.kind] = (kinds[o.kind] ?? 0) + 1;
const summary = Object.entries(kinds).map(([k, n]) => `${n} ${k}`).join(", ");
if (problems.length) {
  console.error(`FAIL ${renderedPath}: ${problems.length} problem(s)\n  ${problems.join("\n  ")}`);
  process.exit(1);
}
console.log(`ok ${path.basename(valuesPath ?? "defaults")}: ${objects.length} objects valid, no unknown fields (${summary}); wiring checked`);
