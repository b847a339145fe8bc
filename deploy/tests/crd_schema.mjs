// Validation of objects whose CRDs no npm package covers, against the CRD's published OpenAPI v3
// schema kept as test data in crd_schemas/ (source and version in each file's "$comment"; see
// crd_schemas/README.md). Like `kubectl --validate=strict`, an object schema that lists its
// properties is closed (unknown fields are errors) unless it preserves unknown fields. Not
// checked: the CRDs' CEL rules (x-kubernetes-validations), which need an API server.
import fs from "node:fs";
import path from "node:path";
import Ajv from "ajv";

const dir = path.join(path.dirname(new URL(import.meta.url).pathname), "crd_schemas");
const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false });
const validators = new Map();  // "group/version Kind" -> compiled schema

// Closes every object schema that declares properties (recursively).
function close(node) {
  if (Array.isArray(node)) return node.map(close);
  if (node === null || typeof node !== "object") return node;
  const out = Object.fromEntries(Object.entries(node).map(([k, v]) => [k, close(v)]));
  if (out.properties && out.additionalProperties === undefined && !out["x-kubernetes-preserve-unknown-fields"]) out.additionalProperties = false;
  return out;
}
for (const file of fs.readdirSync(dir).filter((f) => f.endsWith(".json"))) {
  const { $comment, "x-dsinfer-group-version-kind": gvk, ...schema } = JSON.parse(fs.readFileSync(path.join(dir, file), "utf8"));
  validators.set(`${gvk.group}/${gvk.version} ${gvk.kind}`, ajv.compile(close(schema)));
}

// crdErrors(obj): null when no kept CRD schema covers obj's apiVersion and kind, else the list of
// schema errors ("/spec/targetPorts/0/number must be <= 65535"), empty when valid.
export function crdErrors(obj) {
  const validate = validators.get(`${obj.apiVersion} ${obj.kind}`);
  if (!validate) return null;
  if (validate(obj)) return [];
  return validate.errors.map((e) => `${e.instancePath || "/"} ${e.message}${e.params?.additionalProperty ? ` (${e.params.additionalProperty})` : ""}`);
}
