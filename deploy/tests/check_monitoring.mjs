// Structural checks of deploy/monitoring/ that promtool cannot do by itself: >= 15 alerts, each
// with a runbook section in docs/deploy.md and a firing + a non-firing unit test; the dashboard
// ConfigMap equals the dashboard JSON; and it writes every dashboard / adapter / KEDA query as a
// recording rule into OUT_RULES so `promtool check rules` parses them all.
// usage: node check_monitoring.mjs REPO_ROOT OUT_RULES.yaml   (exit 1 on any finding)
import fs from "node:fs";
import path from "node:path";
import { parse, stringify } from "yaml";

const [root, outRules] = process.argv.slice(2);
if (!root || !outRules) {
  console.error("usage: node check_monitoring.mjs REPO_ROOT OUT_RULES.yaml");
  process.exit(2);
}
const mon = path.join(root, "deploy/monitoring");
const read = (p) => fs.readFileSync(path.join(mon, p), "utf8");
const problems = [];

// ---- Alerts: count, labels, annotations, runbooks.
const alerts = parse(read("alerts.yaml")).groups.flatMap((g) => g.rules).filter((r) => r.alert);
if (alerts.length < 15) problems.push(`${alerts.length} alerts, at least 15 wanted`);
const deployDoc = fs.readFileSync(path.join(root, "docs/deploy.md"), "utf8");
// GitHub anchors of the headings: lower case, spaces to dashes, punctuation dropped.
const anchors = new Set(
  [...deployDoc.matchAll(/^#{1,6}\s+(.+)$/gm)].map((m) => m[1].trim().toLowerCase().replace(/[^\w\- ]/g, "").replace(/ /g, "-")),
);
const names = new Set();
for (const a of alerts) {
  if (names.has(a.alert)) problems.push(`alert ${a.alert} defined twice`);
  names.add(a.alert);
  if (!a.labels?.severity) problems.push(`alert ${a.alert}: no severity label`);
  if (!a.annotations?.summary) problems.push(`alert ${a.alert}: no summary`);
  const url = a.annotations?.runbook_url ?? "";
  const anchor = url.split("#")[1];
  if (!url.includes("docs/deploy.md#") || !anchors.has(anchor)) problems.push(`alert ${a.alert}: runbook_url ${url} has no section in docs/deploy.md`);
}

// ---- Unit tests (every tests/*_test.yaml): a firing and a non-firing case per alert.
const testFiles = fs.readdirSync(path.join(mon, "tests")).filter((f) => f.endsWith("_test.yaml"));
const tests = testFiles.flatMap((f) => parse(read(`tests/${f}`)).tests.flatMap((t) => t.alert_rule_test ?? []));
for (const a of alerts) {
  const cases = tests.filter((t) => t.alertname === a.alert);
  if (!cases.some((t) => (t.exp_alerts ?? []).length > 0)) problems.push(`alert ${a.alert}: no firing test case`);
  if (!cases.some((t) => (t.exp_alerts ?? []).length === 0)) problems.push(`alert ${a.alert}: no non-firing test case`);
}
for (const t of tests) if (!names.has(t.alertname)) problems.push(`test for unknown alert ${t.alertname}`);

// ---- Recording rules the autoscaling story relies on.
const records = parse(read("recording-rules.yaml")).groups.flatMap((g) => g.rules).map((r) => r.record);
for (const r of ["pod:inference_latency_seconds:p95_rate2m", "pool:inference_latency_seconds:p95_rate5m"])
  if (!records.includes(r)) problems.push(`recording rule ${r} missing`);

// ---- Dashboard: JSON valid, the ConfigMap carries the same JSON, panels cover the brief.
const dashText = read("grafana/dsinfer-dashboard.json");
const dash = JSON.parse(dashText);
const cm = parse(read("grafana/dashboard-configmap.yaml"));
if (cm.data?.["dsinfer.json"]?.trim() !== dashText.trim()) problems.push("grafana/dashboard-configmap.yaml differs from dsinfer-dashboard.json");
if (cm.metadata?.labels?.grafana_dashboard !== "1") problems.push("dashboard ConfigMap lacks the grafana_dashboard label");
// Every query selects this release's series through the job variable (no workload-name regex).
const exprs0 = dash.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
for (const e of exprs0) if (!e.includes('job="$job"')) problems.push(`dashboard query without job="$job": ${e}`);
for (const e of exprs0) if (/dsinfer-\.\+|\.\+-dsinfer/.test(e)) problems.push(`dashboard query matches names by regex: ${e}`);
const exprs = dash.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));
const allExpr = exprs.map((e) => e.expr).join("\n");
for (const metric of ["inference_latency_seconds_bucket", "inference_time_to_first_token_seconds_bucket",
  "inference_time_per_output_token_seconds_bucket", "inference_requests_total", "inference_requests_waiting",
  "inference_kv_cache_usage_ratio", "inference_generation_tokens_total", "up{",
  "inference_startup_phase_seconds", "inference_step_seconds_bucket"])
  if (!allExpr.includes(metric)) problems.push(`dashboard shows no ${metric}`);

// Grafana variables are replaced by values of their kind before parsing.
const grafanaVars = (e) => e
  .replaceAll("$__rate_interval", "5m").replaceAll("$__interval", "1m").replaceAll("$__range", "1h")
  .replace(/\$\{?(\w+)\}?/g, "x");
// The adapter fills its templates like this for a Pods metric request.
const adapterFill = (q, series) => q
  .replaceAll("<<.Series>>", series).replaceAll("<<.LabelMatchers>>", 'namespace="prod",pod=~"a|b"')
  .replaceAll("<<.GroupBy>>", "pod");
const adapter = parse(read("prometheus-adapter-values.yaml"));
const rules = [];
exprs.forEach((e, i) => rules.push({ record: `dashboard:panel_${i}`, expr: grafanaVars(e.expr) }));
for (const r of adapter.rules.custom) {
  const series = r.seriesQuery.split("{")[0].replaceAll("'", "");
  rules.push({ record: `adapter:${r.name.as}`, expr: adapterFill(r.metricsQuery, series) });
}
if (!adapter.rules.custom.some((r) => r.name.as === "inference_latency_seconds")) problems.push("adapter serves no inference_latency_seconds");
for (const v of dash.templating.list) if (v.type === "query") rules.push({ record: `dashboard:var_${v.name}`, expr: v.query.query.replace(/^label_values\((.*), *\w+\)$/, "$1") });
fs.writeFileSync(outRules, stringify({ groups: [{ name: "queries-to-parse", rules }] }));

if (problems.length) {
  console.error(`FAIL monitoring: ${problems.length} problem(s)\n  ${problems.join("\n  ")}`);
  process.exit(1);
}
console.log(`ok monitoring: ${alerts.length} alerts with runbooks and firing/non-firing tests; ${exprs.length} dashboard queries and ${adapter.rules.custom.length} adapter queries written to ${outRules}`);
