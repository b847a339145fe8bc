// Prints one piece of the deploy assets for the integration tests:
//   adapter VALUES.yaml METRIC      metricsQuery of the prometheus-adapter rule serving METRIC
//   keda RENDERED.yaml NAME_SUFFIX  latency trigger query of the ScaledObject named *NAME_SUFFIX
//   prefetch RENDERED.yaml          shell script of the first Deployment's model-prefetch initContainer
//   env RENDERED.yaml               NAME=VALUE lines of the first Deployment's (or Argo Rollout's)
//                                   dsinfer container
//                                   (a value from a Secret becomes "from-secret")
import fs from "node:fs";
import { parse, parseAllDocuments } from "yaml";

const [mode, file, arg] = process.argv.slice(2);
const text = fs.readFileSync(file, "utf8");
let query;
if (mode === "adapter") {
  query = parse(text).rules.custom.find((r) => r.name.as === arg)?.metricsQuery;
} else if (mode === "keda") {
  const docs = parseAllDocuments(text).map((d) => d.toJS()).filter(Boolean);
  const so = docs.find((d) => d.kind === "ScaledObject" && d.metadata.name.endsWith(arg));
  query = so?.spec.triggers.find((t) => t.name === "latency-p95")?.metadata.query;
} else if (mode === "prefetch") {
  const docs = parseAllDocuments(text).map((d) => d.toJS()).filter(Boolean);
  const deployment = docs.find((d) => d.kind === "Deployment");
  query = deployment?.spec.template.spec.initContainers?.find((c) => c.name === "model-prefetch")?.args?.[0];
} else if (mode === "env") {
  const docs = parseAllDocuments(text).map((d) => d.toJS()).filter(Boolean);
  const deployment = docs.find((d) => (d.kind === "Deployment" || d.kind === "Rollout") && d.spec.template.spec.containers.some((c) => c.name === "dsinfer"));
  const main = deployment?.spec.template.spec.containers.find((c) => c.name === "dsinfer");
  query = main?.env?.map((e) => `${e.name}=${e.valueFrom ? "from-secret" : e.value}`).join("\n");
}
if (!query) {
  console.error(`no query for ${mode} ${arg} in ${file}`);
  process.exit(1);
}
process.stdout.write(query);
