// Writes one ConfigMap of a `helm template` output as the kubelet mounts it: the files in a
// timestamped directory, `..data` a link to it, and each key a link through `..data`
// (what `dsinfer serve --glossary-dir` sees in a pod).
// usage: node configmap_dir.mjs RENDERED.yaml CONFIGMAP_NAME DIR
import fs from "node:fs";
import path from "node:path";
import { parseAllDocuments } from "yaml";

const [rendered, name, dir] = process.argv.slice(2);
if (!dir) { console.error("usage: node configmap_dir.mjs RENDERED.yaml CONFIGMAP_NAME DIR"); process.exit(2); }
const cm = parseAllDocuments(fs.readFileSync(rendered, "utf8")).map((d) => d.toJS())
  .find((o) => o?.kind === "ConfigMap" && o.metadata?.name === name);
if (!cm) { console.error(`no ConfigMap ${name} in ${rendered}`); process.exit(1); }
const stamp = "..2026_01_01_00_00_00.000000001";
fs.mkdirSync(path.join(dir, stamp), { recursive: true });
for (const [key, text] of Object.entries(cm.data ?? {})) {
  fs.writeFileSync(path.join(dir, stamp, key), text);
  fs.symlinkSync(path.join("..data", key), path.join(dir, key));
}
fs.symlinkSync(stamp, path.join(dir, "..data"));
console.log(Object.keys(cm.data ?? {}).sort().join(" "));
