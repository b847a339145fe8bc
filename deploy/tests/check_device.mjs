// Image flavour, device and KV-cache budget of each pool's pods (called by validate_rendered.mjs).
// A CPU pool (resources.gpu 0) runs the CPU image (<version>, or its colour's digest), no device
// setting, no NVIDIA env, and model + KV + overhead fit its memory limit. A GPU pool runs the
// image.gpu flavour (<version>-<flavour>, or its colour's gpuDigest) with NVIDIA_DRIVER_CAPABILITIES
// with graphics (NVIDIA's Vulkan driver is mounted only then), and DSINFER_DEVICE = the flavour for
// one GPU, "<flavour>:0,...,N-1" for N (at most 8, at most the model's layers: the engine's layer
// split). Its KV cache (the whole pool, over all its GPUs) fits the GPU that holds the most: the
// engine gives device p of N the layers [floor(p*L/N), floor((p+1)*L/N)) and each device its
// layers' share of the weights and of every KV block, so the budget is the largest run c of L:
// c/L of the model + c/L of the KV + GPU overhead within resources.gpuMemory; "auto" is exactly
// floor((gpuMemory - ceil(model*c/L) - GPU overhead) * L/c); "N%" is of the N GPUs' memory summed.
// Its host memory holds the overhead. The init container runs the pod's image.
import fs from "node:fs";
import path from "node:path";
import { parse } from "yaml";

// Bytes of a Kubernetes quantity or a number; NaN when it is neither.
export function bytes(q) {
  if (typeof q === "number") return Math.floor(q);
  const m = /^([0-9]+(?:\.[0-9]+)?)(k|K|M|G|T|Ki|Mi|Gi|Ti)?$/.exec(String(q));
  if (!m) return NaN;
  return Math.floor(Number(m[1]) * ({ k: 1e3, K: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 }[m[2]] ?? 1));
}

// checkDevice(values, workloads, chartDir, problem, settings): settings(workload) gives the
// colour's effective {server, model, resources} of that workload's pool.
export function checkDevice(values, workloads, chartDir, problem, settings) {
  const appVersion = String(parse(fs.readFileSync(path.join(chartDir, "Chart.yaml"), "utf8")).appVersion);
  const repo = values.image.repository;
  for (const w of workloads) {
    const labels = w.spec.template.metadata.labels;
    const color = labels["dsinfer.io/color"];
    const spec = w.spec.template.spec;
    const main = spec.containers.find((c) => c.name === "dsinfer");
    if (!main) continue;  // reported by the main wiring checks
    const env = Object.fromEntries((main.env ?? []).map((e) => [e.name, e.value]));
    const { server, model, resources } = settings(w);
    const gpu = Number(resources.gpu ?? 0);
    const own = values.colors[color].image ?? {};
    const version = own.tag || values.image.tag || appVersion;
    if (/-vulkan$/.test(version)) problem(w, `version ${version} is a flavour tag`);
    const want = gpu > 0
      ? (own.gpuDigest ? `${repo}@${own.gpuDigest}` : `${repo}:${version}-${values.image.gpu}`)
      : (own.digest ? `${repo}@${own.digest}` : `${repo}:${version}`);
    if (main.image !== want) problem(w, `image ${main.image}, expected ${want} (${gpu > 0 ? "GPU" : "CPU"} pool)`);
    for (const c of spec.initContainers ?? []) if (c.image !== main.image) problem(w, `init container ${c.name} runs ${c.image}, not the pod's image`);
    const kvText = String(env.DSINFER_KV_CACHE_MEM ?? "");
    const pct = /^([0-9]+(?:\.[0-9]+)?)%$/.exec(kvText);
    const model_ = bytes(model.sizeBytes), minKv = bytes(server.minKvCacheMemory);
    const limit = bytes(main.resources?.limits?.memory), overhead = bytes(server.memoryOverhead);
    const tmpfsCopy = values.model.repository.remote && values.model.cache.medium === "Memory" ? model_ : 0;
    if (pct && String(server.kvCacheMemory) !== kvText) problem(w, `DSINFER_KV_CACHE_MEM ${kvText} is a share, server.kvCacheMemory ${server.kvCacheMemory}`);
    if (gpu === 0) {
      if ("DSINFER_DEVICE" in env) problem(w, `CPU pool with DSINFER_DEVICE=${env.DSINFER_DEVICE}`);
      if ("NVIDIA_DRIVER_CAPABILITIES" in env) problem(w, "CPU pool with NVIDIA_DRIVER_CAPABILITIES");
      const kv = pct ? Math.floor(limit * Number(pct[1]) / 100) : Number(kvText);
      if (!(kv >= minKv) || model_ + kv + overhead + tmpfsCopy > limit)
        problem(w, `model ${model_} + KV ${kv} + overhead ${overhead} + tmpfs copy ${tmpfsCopy} > memory limit ${limit} (or KV < ${minKv})`);
      continue;
    }
    if (values.image.gpu === "none") problem(w, "GPU requested without a GPU flavour (image.gpu none)");
    if (!(gpu >= 1 && gpu <= 8 && Number.isInteger(gpu))) problem(w, `${gpu} GPUs per pod: the engine splits over 1 to 8 devices`);
    for (const kind of ["requests", "limits"]) {
      if (String(main.resources?.[kind]?.["nvidia.com/gpu"]) !== String(gpu)) problem(w, `${kind} nvidia.com/gpu ${main.resources?.[kind]?.["nvidia.com/gpu"]}, expected ${gpu}`);
    }
    const layers = gpu > 1 ? Number(model.layers ?? 0) : 1;
    if (gpu > 1 && !(Number.isInteger(layers) && layers >= gpu)) problem(w, `${gpu} GPUs per pod need model.layers >= ${gpu}, got ${model.layers}`);
    const wantDevice = gpu === 1 ? values.image.gpu : `${values.image.gpu}:${Array.from({ length: gpu }, (_, i) => i).join(",")}`;
    if (env.DSINFER_DEVICE !== wantDevice) problem(w, `GPU pool with DSINFER_DEVICE=${env.DSINFER_DEVICE}, expected ${wantDevice}`);
    if (!/(^|,)graphics(,|$)/.test(env.NVIDIA_DRIVER_CAPABILITIES ?? "")) problem(w, "GPU pod without NVIDIA_DRIVER_CAPABILITIES graphics (Vulkan)");
    if (overhead + tmpfsCopy > limit) problem(w, `host memory limit ${limit} < overhead ${overhead} + tmpfs copy ${tmpfsCopy}`);
    // The largest run of layers the engine puts on one device (c of L; the whole model on one GPU).
    let c = 0;
    for (let p = 0; p < gpu && layers >= gpu; ++p) c = Math.max(c, Math.floor((p + 1) * layers / gpu) - Math.floor(p * layers / gpu));
    if (!(c >= 1)) continue;
    const B = BigInt, L = B(layers), C = B(c);
    const share = (x) => (B(x) * C + L - 1n) / L;  // ceil(x * c/L), exact
    const gpuMem = resources.gpuMemory ? bytes(resources.gpuMemory) : 0;
    const gpuOverhead = bytes(server.gpuMemoryOverhead);
    if (String(server.kvCacheMemory) === "auto") {
      const want = (B(gpuMem) - share(model_) - B(gpuOverhead)) * L / C;
      if (!gpuMem) problem(w, "GPU pool with kvCacheMemory auto and no gpuMemory");
      else if (kvText !== String(want)) problem(w, `DSINFER_KV_CACHE_MEM ${kvText} != (gpuMemory ${gpuMem} - ${c}/${layers} of model ${model_} - GPU overhead ${gpuOverhead}) * ${layers}/${c} = ${want}`);
    }
    const kv = pct ? Math.floor(gpuMem * gpu * Number(pct[1]) / 100) : Number(kvText);
    if (gpuMem && (!(kv >= minKv) || share(model_) + share(kv) + B(gpuOverhead) > B(gpuMem)))
      problem(w, `GPU memory ${gpuMem} < ${c}/${layers} of model ${model_} + ${c}/${layers} of KV ${kv} + GPU overhead ${gpuOverhead} (or KV < ${minKv})`);
  }
}
