// Glossary wiring of one chart rendering (called by validate_rendered.mjs): each pool's pods of a
// colour with glossaries (colors.<c>.glossaries, else glossaries.*) mount exactly that colour's
// files read-only where DSINFER_GLOSSARY_DIR points, from the chart's ConfigMap of that colour
// (or the existingConfigMap), and carry the checksum of the files they mount, so any change of
// content rolls them; pods of a colour without glossaries have neither the variable nor the volume.
import crypto from "node:crypto";

// The chart's checksum (templates/_glossaries.tpl): "<name>\0<bytes>\0<content>" in name order.
export function glossariesChecksum(files) {
  const names = Object.keys(files).sort((a, b) => (Buffer.from(a) < Buffer.from(b) ? -1 : a === b ? 0 : 1));
  const joined = names.map((n) => `${n}\0${Buffer.byteLength(files[n])}\0${files[n]}`).join("");
  return crypto.createHash("sha256").update(joined, "utf8").digest("hex");
}

// The server's file names: <name>.<source>-<target>.tsv|csv (src/translate/glossary.cpp).
const fileName = /^[A-Za-z0-9_-][A-Za-z0-9_.-]*\.[A-Za-z]+-[A-Za-z-]+\.(tsv|csv)$/i;

function effective(values, color) {
  const own = values.colors?.[color]?.glossaries ?? {};
  const g = Object.keys(own.files ?? {}).length || own.existingConfigMap ? own : values.glossaries ?? {};
  return { files: g.files ?? {}, existingConfigMap: g.existingConfigMap ?? "" };
}

// checkGlossaries(objects, values, workloads, problem): workloads are the Deployments / Rollouts.
export function checkGlossaries(objects, values, workloads, problem) {
  const configMaps = new Map(objects.filter((o) => o.kind === "ConfigMap").map((c) => [c.metadata.name, c]));
  const used = new Set();
  for (const w of workloads) {
    const tpl = w.spec.template;
    const color = tpl.metadata.labels["dsinfer.io/color"];
    const want = effective(values, color);
    const wanted = Object.keys(want.files).length > 0 || want.existingConfigMap !== "";
    const main = tpl.spec.containers.find((c) => c.name === "dsinfer");
    const dir = (main?.env ?? []).find((e) => e.name === "DSINFER_GLOSSARY_DIR")?.value;
    const annotation = tpl.metadata.annotations?.["dsinfer.io/glossaries-sha256"];
    const volume = (tpl.spec.volumes ?? []).find((v) => v.name === "glossaries");
    if (!wanted) {
      if (dir || volume || annotation) problem(w, `colour ${color} has no glossaries but its pods mount some`);
      continue;
    }
    if (!dir) { problem(w, "glossaries configured but DSINFER_GLOSSARY_DIR is not set"); continue; }
    const mount = (main.volumeMounts ?? []).find((m) => m.mountPath === dir);
    if (!mount) { problem(w, `DSINFER_GLOSSARY_DIR ${dir} is not a mount of the server container`); continue; }
    if (mount.readOnly !== true) problem(w, `glossary mount ${dir} is not read-only`);
    const source = (tpl.spec.volumes ?? []).find((v) => v.name === mount.name)?.configMap?.name;
    if (!source) { problem(w, `glossary mount ${dir} is not a ConfigMap volume`); continue; }
    if (want.existingConfigMap) {
      if (source !== want.existingConfigMap) problem(w, `glossaries from ConfigMap ${source}, expected existingConfigMap ${want.existingConfigMap}`);
      continue;
    }
    const cm = configMaps.get(source);
    if (!cm) { problem(w, `glossary ConfigMap ${source} is not rendered`); continue; }
    used.add(source);
    if (cm.metadata.labels?.["dsinfer.io/color"] !== color) problem(w, `mounts ConfigMap ${source} of colour ${cm.metadata.labels?.["dsinfer.io/color"]}, its own colour is ${color}`);
    const data = cm.data ?? {};
    const a = JSON.stringify(Object.entries(data).sort()), b = JSON.stringify(Object.entries(want.files).sort());
    if (a !== b) problem(cm, `data differs from colour ${color}'s glossary files`);
    for (const name of Object.keys(data)) if (!fileName.test(name)) problem(cm, `${name}: the server reads only <name>.<source>-<target>.tsv|csv`);
    if (annotation !== glossariesChecksum(data)) problem(w, `dsinfer.io/glossaries-sha256 ${annotation} is not the checksum of ${source} (a change of content would not roll the pods)`);
  }
  for (const [name, cm] of configMaps)
    if (/-glossaries-(blue|green)$/.test(name) && !used.has(name)) problem(cm, "glossary ConfigMap no pod mounts");
}
