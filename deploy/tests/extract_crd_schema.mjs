// Writes the OpenAPI v3 schema of one version of a published CustomResourceDefinition as JSON
// test data (crd_schemas/): descriptions dropped (size), everything else as published, with the
// source named in "$comment". Used once per CRD release; see crd_schemas/README.md.
// usage: node extract_crd_schema.mjs CRD.yaml VERSION SOURCE-TEXT > OUT.json
import fs from "node:fs";
import { parse } from "yaml";

const [file, version, source] = process.argv.slice(2);
if (!file || !version || !source) {
  console.error("usage: node extract_crd_schema.mjs CRD.yaml VERSION SOURCE-TEXT > OUT.json");
  process.exit(2);
}
const crd = parse(fs.readFileSync(file, "utf8"));
const v = crd?.spec?.versions?.find((x) => x.name === version);
if (crd?.kind !== "CustomResourceDefinition" || !v?.schema?.openAPIV3Schema) {
  console.error(`${file}: no CustomResourceDefinition version ${version} with an openAPIV3Schema`);
  process.exit(1);
}
const strip = (node) => {
  if (Array.isArray(node)) return node.map(strip);
  if (node === null || typeof node !== "object") return node;
  return Object.fromEntries(Object.entries(node).filter(([k]) => k !== "description").map(([k, x]) => [k, strip(x)]));
};
const out = {
  $comment: `${source}; ${crd.spec.group}/${version} ${crd.spec.names.kind}; descriptions removed`,
  "x-dsinfer-group-version-kind": { group: crd.spec.group, version, kind: crd.spec.names.kind },
  ...strip(v.schema.openAPIV3Schema),
};
process.stdout.write(`${JSON.stringify(out, null, 1)}\n`);
