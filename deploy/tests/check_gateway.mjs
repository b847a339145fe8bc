// Inference-gateway wiring of one chart rendering (called by validate_rendered.mjs; the
// InferencePool and HTTPRoute schemas are checked there against the published CRDs,
// crd_schema.mjs): the pool selects exactly the active colour's pods on the server's port, its
// endpoint picker is the rendered Service/Deployment running for this pool with the rendered
// configuration, that configuration maps the picker's metrics to the gauges dsinfer really
// exports (read from src/metrics/metric_names.h), and the HTTPRoute sends the API to the pool.
import fs from "node:fs";
import path from "node:path";
import { parse } from "yaml";

const matches = (selector, labels) => Object.entries(selector ?? {}).every(([k, v]) => labels?.[k] === v);

// The server's metric names: kName = "inference_..." constants of src/metrics/metric_names.h.
function serverMetricNames(chartDir) {
  const header = path.join(chartDir, "../../../src/metrics/metric_names.h");
  const names = {};
  for (const m of fs.readFileSync(header, "utf8").matchAll(/constexpr const char\* (k\w+) = "([a-z_:]+)";/g)) names[m[1]] = m[2];
  return names;
}

// checkGateway(objects, values, workloads, chartDir, problem)
export function checkGateway(objects, values, workloads, chartDir, problem) {
  const g = values.inferenceGateway ?? {};
  const pools = objects.filter((o) => o.kind === "InferencePool");
  const routes = objects.filter((o) => o.kind === "HTTPRoute");
  if (!g.enabled) {
    for (const o of [...pools, ...routes]) problem(o, "rendered with inferenceGateway.enabled false");
    return;
  }
  if (pools.length !== 1 || routes.length !== 1) { problem(null, `${pools.length} InferencePools and ${routes.length} HTTPRoutes, expected one of each`); return; }
  const [pool] = pools, [route] = routes;
  if (pool.apiVersion !== "inference.networking.k8s.io/v1") problem(pool, `apiVersion ${pool.apiVersion}: the published InferencePool is inference.networking.k8s.io/v1`);

  // Exactly the active colour's pods, on the server's port.
  const podLabels = (w) => w.spec.template.metadata.labels;
  for (const w of workloads) {
    const active = podLabels(w)["dsinfer.io/color"] === values.activeColor;
    if (matches(pool.spec.selector?.matchLabels, podLabels(w)) !== active)
      problem(pool, `${active ? "misses" : "selects"} ${w.metadata.name} (${active ? "active" : "idle"} colour)`);
  }
  if (!(pool.spec.targetPorts ?? []).some((p) => p.number === values.server.port)) problem(pool, `targetPorts lack the server port ${values.server.port}`);

  // The endpoint picker: Service -> Deployment running for this pool with the rendered config.
  const ref = pool.spec.endpointPickerRef ?? {};
  const svc = objects.find((o) => o.kind === "Service" && o.metadata.name === ref.name);
  if (!svc) { problem(pool, `endpointPickerRef names no rendered Service (${ref.name})`); return; }
  const svcPort = (svc.spec.ports ?? []).find((p) => p.port === ref.port?.number);
  if (!svcPort) problem(pool, `endpointPickerRef port ${ref.port?.number} is not a port of Service ${svc.metadata.name}`);
  if (ref.failureMode !== g.endpointPicker.failureMode) problem(pool, `failureMode ${ref.failureMode} != values ${g.endpointPicker.failureMode}`);
  const epp = objects.find((o) => o.kind === "Deployment" && matches(svc.spec.selector, o.spec.template.metadata.labels));
  if (!epp) { problem(svc, "selects no endpoint-picker Deployment"); return; }
  if (workloads.some((w) => matches(svc.spec.selector, podLabels(w)))) problem(svc, "selects dsinfer server pods");
  const c = epp.spec.template.spec.containers.find((x) => x.name === "epp");
  if (!c) { problem(epp, "no container epp"); return; }
  if (svcPort && !(c.ports ?? []).some((p) => p.name === svcPort.targetPort || p.containerPort === svcPort.targetPort)) problem(svc, `targetPort ${svcPort.targetPort} is no port of the picker`);
  const arg = (flag) => (c.args ?? []).find((a) => a.startsWith(`--${flag}=`))?.slice(flag.length + 3);
  if (arg("pool-name") !== pool.metadata.name || arg("pool-namespace") !== pool.metadata.namespace) problem(epp, `runs for pool ${arg("pool-namespace")}/${arg("pool-name")}, not ${pool.metadata.namespace}/${pool.metadata.name}`);
  if (arg("pool-group") !== "inference.networking.k8s.io") problem(epp, "--pool-group must be inference.networking.k8s.io");
  if (String(arg("grpc-port")) !== String(ref.port?.number)) problem(epp, `--grpc-port ${arg("grpc-port")} is not the pool's endpointPickerRef port`);
  const sc = c.securityContext ?? {};
  if (sc.allowPrivilegeEscalation !== false || sc.readOnlyRootFilesystem !== true || !(sc.capabilities?.drop ?? []).includes("ALL") || (sc.runAsNonRoot ?? epp.spec.template.spec.securityContext?.runAsNonRoot) !== true)
    problem(epp, "picker container is not restricted (no escalation, read-only root, drop ALL, non-root)");
  for (const k of ["cpu", "memory"]) if (c.resources?.limits?.[k] === undefined || String(c.resources?.requests?.[k]) !== String(c.resources.limits[k])) problem(epp, `${k} request != limit`);
  const sa = epp.spec.template.spec.serviceAccountName;
  const binding = objects.find((o) => o.kind === "RoleBinding" && (o.subjects ?? []).some((s) => s.kind === "ServiceAccount" && s.name === sa));
  const role = binding && objects.find((o) => o.kind === "Role" && o.metadata.name === binding.roleRef.name);
  const may = (group, resource) => (role?.rules ?? []).some((r) => (r.apiGroups ?? []).includes(group) && (r.resources ?? []).includes(resource) && ["get", "list", "watch"].every((v) => (r.verbs ?? []).includes(v)));
  if (!may("", "pods") || !may("inference.networking.k8s.io", "inferencepools")) problem(epp, `service account ${sa} may not watch pods and inferencepools`);

  // Its configuration, from the mounted ConfigMap.
  const configPath = arg("config-file") ?? "";
  const mount = (c.volumeMounts ?? []).find((m) => configPath.startsWith(`${m.mountPath}/`));
  const volume = mount && epp.spec.template.spec.volumes.find((v) => v.name === mount.name);
  const cm = volume?.configMap && objects.find((o) => o.kind === "ConfigMap" && o.metadata.name === volume.configMap.name);
  const text = cm?.data?.[configPath.slice(mount.mountPath.length + 1)];
  if (!text) { problem(epp, `--config-file ${configPath} is not a key of a mounted ConfigMap`); return; }
  checkPickerConfig(parse(text), serverMetricNames(chartDir), epp, problem);

  // The route: attached to the values' Gateway, the API prefix to the pool.
  const parent = route.spec.parentRefs?.[0] ?? {};
  if (parent.name !== g.gateway.name || (parent.namespace ?? "") !== (g.gateway.namespace ?? "")) problem(route, `parentRef ${parent.namespace ?? ""}/${parent.name} is not the values' Gateway`);
  const backends = (route.spec.rules ?? []).flatMap((r) => r.backendRefs ?? []);
  if (backends.length === 0 || !backends.every((b) => b.group === "inference.networking.k8s.io" && b.kind === "InferencePool" && b.name === pool.metadata.name))
    problem(route, "every backendRef must be this release's InferencePool (group inference.networking.k8s.io)");
  if (!(route.spec.rules ?? []).some((r) => (r.matches ?? []).some((m) => m.path?.value === "/v1/"))) problem(route, "does not route the API prefix /v1/");
}

// The EndpointPickerConfig (GAIE v1.5 format): the metrics extractor maps the protocol onto
// dsinfer's gauges, the data layer runs it, and the scoring profile names declared plugins.
function checkPickerConfig(cfg, names, epp, problem) {
  if (cfg?.apiVersion !== "inference.networking.x-k8s.io/v1alpha1" || cfg?.kind !== "EndpointPickerConfig") { problem(epp, "config is not an inference.networking.x-k8s.io/v1alpha1 EndpointPickerConfig"); return; }
  const known = new Set(["apiVersion", "kind", "featureGates", "plugins", "schedulingProfiles", "saturationDetector", "dataLayer", "flowControl", "parser"]);
  for (const k of Object.keys(cfg)) if (!known.has(k)) problem(epp, `config: unknown top-level field ${k}`);
  const plugins = new Map((cfg.plugins ?? []).map((p) => [p.name ?? p.type, p]));
  const extractor = [...plugins.values()].find((p) => p.type === "core-metrics-extractor");
  const params = extractor?.parameters ?? {};
  const engine = (params.engineConfigs ?? []).find((e) => e.name === params.defaultEngine);
  if (!engine) { problem(epp, `config: defaultEngine ${params.defaultEngine} has no engineConfigs entry (the picker would read vLLM's gauges)`); return; }
  const want = {
    queuedRequestsSpec: names.kRequestsWaiting, runningRequestsSpec: names.kRequestsRunning,
    kvUsageSpec: names.kKvCacheUsage, cacheInfoSpec: names.kKvCacheConfig,
  };
  for (const [field, metric] of Object.entries(want))
    if (!metric || engine[field] !== metric) problem(epp, `config: ${field} ${engine[field]}, dsinfer exports ${metric}`);
  if (engine.loraSpec !== "") problem(epp, "config: loraSpec must be \"\" (dsinfer has no LoRA metric; an unset spec means vLLM's)");
  if ((engine.cacheBlockSizeLabelName ?? "block_size") !== "block_size") problem(epp, "config: the block size label is block_size");
  const sources = cfg.dataLayer?.sources ?? [];
  if (!sources.some((s) => plugins.get(s.pluginRef)?.type === "metrics-data-source" && (s.extractors ?? []).some((x) => plugins.get(x.pluginRef) === extractor)))
    problem(epp, "config: the data layer does not run the metrics extractor on the metrics source");
  const source = [...plugins.values()].find((p) => p.type === "metrics-data-source");
  if ((source?.parameters?.path ?? "/metrics") !== "/metrics") problem(epp, "config: dsinfer serves /metrics");
  for (const prof of cfg.schedulingProfiles ?? [])
    for (const p of prof.plugins ?? []) if (!plugins.has(p.pluginRef)) problem(epp, `config: profile ${prof.name} names undeclared plugin ${p.pluginRef}`);
}
