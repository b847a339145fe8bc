// Argo Rollouts wiring of one chart rendering (called by validate_rendered.mjs; the objects'
// schemas are checked there against @kubernetes-models/argo-rollouts): with rollouts.enabled each
// pool is one blueGreen Rollout whose active and preview Services exist and select its pods, whose
// promotion is gated by the release's AnalysisTemplate (arguments supplied, the new ReplicaSet
// selected by its pod-template hash, Prometheus queries of dsinfer's error ratio and p95 with the
// values' limits), and whose metrics carry that hash; without it, no Argo object at all.

const matches = (selector, labels) => Object.entries(selector ?? {}).every(([k, v]) => labels?.[k] === v);

// checkRollouts(objects, values, workloads, problem): workloads are the pool Rollouts (or Deployments).
export function checkRollouts(objects, values, workloads, problem) {
  const r = values.rollouts ?? {};
  const argo = objects.filter((o) => String(o.apiVersion).startsWith("argoproj.io/"));
  if (!r.enabled) {
    for (const o of argo) problem(o, "Argo Rollouts object rendered with rollouts.enabled false");
    return;
  }
  const services = new Map(objects.filter((o) => o.kind === "Service").map((s) => [s.metadata.name, s]));
  const templates = new Map(objects.filter((o) => o.kind === "AnalysisTemplate").map((t) => [t.metadata.name, t]));
  const used = new Set();
  for (const ro of workloads.filter((w) => w.kind === "Rollout")) {
    const bg = ro.spec.strategy?.blueGreen;
    if (!bg) { problem(ro, "strategy must be blueGreen"); continue; }
    const pod = ro.spec.template.metadata.labels;
    if (!matches(ro.spec.selector?.matchLabels, pod)) problem(ro, "selector does not match its pod labels");
    if (!bg.previewService || bg.previewService === bg.activeService) problem(ro, "needs a preview Service apart from the active one");
    for (const role of ["activeService", "previewService"]) {
      const s = services.get(bg[role]);
      if (!s) { problem(ro, `${role} ${bg[role]} is not rendered`); continue; }
      if (!matches(s.spec.selector, pod) || Object.keys(s.spec.selector ?? {}).length === 0) problem(s, `does not select the pods of ${ro.metadata.name}`);
      if (!(s.spec.ports ?? []).some((p) => p.targetPort === "http")) problem(s, "targetPort must be the 'http' port");
    }
    if (bg.activeMetadata?.labels?.["dsinfer.io/rollout"] !== "active" || bg.previewMetadata?.labels?.["dsinfer.io/rollout"] !== "preview")
      problem(ro, "activeMetadata / previewMetadata must label pods dsinfer.io/rollout active / preview (the API Service selects on it)");
    if (bg.autoPromotionEnabled !== r.autoPromotionEnabled) problem(ro, `autoPromotionEnabled ${bg.autoPromotionEnabled} != rollouts.autoPromotionEnabled ${r.autoPromotionEnabled}`);
    if (bg.scaleDownDelaySeconds !== r.scaleDownDelaySeconds) problem(ro, "scaleDownDelaySeconds differs from values");
    const gates = [["prePromotionAnalysis", true], ["postPromotionAnalysis", r.analysis.afterPromotion]];
    for (const [gate, wanted] of gates) {
      const g = bg[gate];
      if (!wanted) { if (g) problem(ro, `${gate} without rollouts.analysis.afterPromotion`); continue; }
      if (!g?.templates?.length) { problem(ro, `no ${gate}: the new version would be promoted unchecked`); continue; }
      const args = new Map((g.args ?? []).map((a) => [a.name, a]));
      if (args.get("hash")?.valueFrom?.podTemplateHashValue !== "Latest") problem(ro, `${gate}: arg hash must come from podTemplateHashValue Latest (the new ReplicaSet)`);
      if (args.get("pool")?.value !== pod["dsinfer.io/pool"]) problem(ro, `${gate}: arg pool ${args.get("pool")?.value} is not the Rollout's pool`);
      for (const ref of g.templates) {
        const t = templates.get(ref.templateName);
        if (!t) { problem(ro, `${gate} names AnalysisTemplate ${ref.templateName}, not rendered`); continue; }
        used.add(t.metadata.name);
        for (const a of t.spec.args ?? []) if (a.value === undefined && !args.has(a.name)) problem(ro, `${gate} does not supply argument ${a.name} of ${t.metadata.name}`);
      }
    }
  }
  for (const t of templates.values()) {
    if (!used.has(t.metadata.name)) problem(t, "used by no Rollout");
    checkAnalysis(t, values, problem);
  }
  if (templates.size === 0) problem(null, "no AnalysisTemplate rendered");
  const sm = objects.find((o) => o.kind === "ServiceMonitor");
  if (sm && !sm.spec.endpoints.some((e) => (e.relabelings ?? []).some((x) => x.sourceLabels?.includes("__meta_kubernetes_pod_label_rollouts_pod_template_hash") && x.targetLabel === "rollouts_pod_template_hash")))
    problem(sm, "series lack rollouts_pod_template_hash: the analysis could not tell the new version's pods apart");
}

// The analysis: Prometheus at the values' address, each query restricted to this release's new
// ReplicaSet of the pool, and the three checks with the values' limits.
function checkAnalysis(t, values, problem) {
  const a = values.rollouts.analysis;
  const declared = new Set((t.spec.args ?? []).map((x) => x.name));
  const byName = new Map((t.spec.metrics ?? []).map((m) => [m.name, m]));
  const want = {
    "requests": { metric: "inference_requests_total", cond: `result[0] >= ${a.minRequests}` },
    "error-ratio": { metric: "inference_requests_total", cond: `result[0] <= ${a.maxErrorRatio}`, also: 'code=~"5.."' },
    "latency-p95": { metric: "inference_latency_seconds_bucket", cond: `result[0] <= ${a.maxLatencyP95Seconds}`, also: "histogram_quantile(0.95," },
  };
  for (const [name, w] of Object.entries(want)) {
    const m = byName.get(name);
    if (!m) { problem(t, `no ${name} metric`); continue; }
    const prom = m.provider?.prometheus;
    if (!prom?.query) { problem(t, `${name}: not a Prometheus metric`); continue; }
    if (prom.address !== a.prometheusAddress) problem(t, `${name}: address ${prom.address} != rollouts.analysis.prometheusAddress`);
    if (m.successCondition !== w.cond) problem(t, `${name}: successCondition ${m.successCondition}, expected ${w.cond}`);
    const q = prom.query;
    if (!q.includes(w.metric) || (w.also && !q.includes(w.also))) problem(t, `${name}: query does not read ${w.metric}${w.also ? ` (${w.also})` : ""}`);
    // Every selector of the metric (label blocks may hold {{args.*}}) names the new ReplicaSet.
    const blocks = [...q.matchAll(new RegExp(`${w.metric}(\\{((?:[^{}]|\\{\\{[^}]*\\}\\})*)\\})?`, "g"))].map((x) => x[2] ?? "");
    for (const sel of ['rollouts_pod_template_hash="{{args.hash}}"', 'pool="{{args.pool}}"', `job="`, `namespace="`])
      if (blocks.some((b) => !b.includes(sel))) problem(t, `${name}: a ${w.metric} selector lacks ${sel}`);
    for (const used of q.matchAll(/\{\{\s*args\.([\w-]+)\s*\}\}/g)) if (!declared.has(used[1])) problem(t, `${name}: uses undeclared argument ${used[1]}`);
    if (m.interval !== a.interval || Number(m.count) !== a.count || Number(m.failureLimit) !== a.failureLimit) problem(t, `${name}: interval/count/failureLimit differ from values`);
  }
}
