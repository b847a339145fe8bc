// Turns one `helm template` output into a promtool test run for that release name: writes the
// rendered PrometheusRule's groups to OUT_DIR/rules.yaml, and TEST_TEMPLATE (a promtool test file
// with placeholders) to OUT_DIR/<basename> with the placeholders replaced by the names of the
// rendered objects themselves — the metrics Service (= `job`), its namespace, and the Deployment
// (or Rollout) of each pool and colour — so a rule that names this release differently than the chart names
// its objects fails the test.
// usage: node render_rule_tests.mjs RENDERED.yaml OUT_DIR TEST_TEMPLATE...   (exit 1 on a problem)
import fs from "node:fs";
import path from "node:path";
import { parseAllDocuments, stringify } from "yaml";

const [rendered, outDir, ...templates] = process.argv.slice(2);
if (!rendered || !outDir || templates.length === 0) {
  console.error("usage: node render_rule_tests.mjs RENDERED.yaml OUT_DIR TEST_TEMPLATE...");
  process.exit(2);
}
const die = (msg) => { console.error(`FAIL render_rule_tests: ${msg}`); process.exit(1); };
const objects = parseAllDocuments(fs.readFileSync(rendered, "utf8")).map((d) => d.toJS()).filter(Boolean);
const rule = objects.find((o) => o.kind === "PrometheusRule");
if (!rule) die(`no PrometheusRule in ${rendered}`);
const metrics = objects.find((o) => o.kind === "Service" && o.metadata.labels?.["dsinfer.io/service"] === "metrics");
if (!metrics) die("no metrics Service");
const names = new Map([
  ["__DSINFER_NAMESPACE__", metrics.metadata.namespace],
  ["__DSINFER_JOB__", metrics.metadata.name],
]);
// the pool workloads: Deployments, or Argo Rollouts in their place (rollouts.enabled)
const workloads = objects.filter((o) => (o.kind === "Deployment" || o.kind === "Rollout") && o.spec?.template?.metadata?.labels?.["dsinfer.io/pool"]);
for (const d of workloads) {
  const l = d.spec.template.metadata.labels;
  names.set(`__DEPLOY_${l["dsinfer.io/pool"]}_${l["dsinfer.io/color"]}__`, d.metadata.name);
}
fs.mkdirSync(outDir, { recursive: true });
const rulesText = stringify({ groups: rule.spec.groups }, { lineWidth: 0 });
const left = rulesText.match(/__DSINFER_[A-Z_]+__/);
if (left) die(`the chart left placeholder ${left[0]} in the PrometheusRule`);
fs.writeFileSync(path.join(outDir, "rules.yaml"), rulesText);
for (const t of templates) {
  let text = fs.readFileSync(t, "utf8");
  for (const [token, name] of names) text = text.replaceAll(token, name);
  const missing = text.match(/__(DSINFER|DEPLOY)_[A-Za-z0-9_]+__/);
  if (missing) die(`${t}: no rendered object for ${missing[0]} (render with every pool and colour enabled)`);
  fs.writeFileSync(path.join(outDir, path.basename(t)), text);
}
console.log(`rules + ${templates.length} test file(s) for job ${names.get("__DSINFER_JOB__")} in ${outDir}`);
