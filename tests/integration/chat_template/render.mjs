// Reference renderer for dsinfer's chat-template integration test: renders each model's
// tokenizer.chat_template with @huggingface/jinja for every conversation and both values of
// add_generation_prompt, writing one expected output file per case plus a case list.
// usage: node render.mjs OUT_DIR CONVERSATIONS.json MODEL.gguf...
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { basename } from "node:path";
import { Template } from "@huggingface/jinja";

// Minimal GGUF metadata reader (v2/v3): returns a Map of key -> value (strings, numbers,
// booleans, arrays). Tensor infos are not needed.
function readGgufMetadata(path) {
  const buf = readFileSync(path);
  let pos = 0;
  const u32 = () => { const v = buf.readUInt32LE(pos); pos += 4; return v; };
  const u64 = () => { const v = buf.readBigUInt64LE(pos); pos += 8; return Number(v); };
  const str = () => { const n = u64(); const s = buf.toString("utf8", pos, pos + n); pos += n; return s; };
  const scalar = {
    0: () => buf.readUInt8(pos++), 1: () => buf.readInt8(pos++),
    2: () => { const v = buf.readUInt16LE(pos); pos += 2; return v; },
    3: () => { const v = buf.readInt16LE(pos); pos += 2; return v; },
    4: () => u32(), 5: () => { const v = buf.readInt32LE(pos); pos += 4; return v; },
    6: () => { const v = buf.readFloatLE(pos); pos += 4; return v; },
    7: () => buf.readUInt8(pos++) !== 0, 8: () => str(), 10: () => u64(),
    11: () => { const v = buf.readBigInt64LE(pos); pos += 8; return Number(v); },
    12: () => { const v = buf.readDoubleLE(pos); pos += 8; return v; },
  };
  const value = (type) => {
    if (type === 9) {
      const elemType = u32();
      const n = u64();
      const out = new Array(n);
      for (let i = 0; i < n; ++i) out[i] = value(elemType);
      return out;
    }
    const f = scalar[type];
    if (!f) throw new Error(`${path}: unknown GGUF value type ${type}`);
    return f();
  };
  if (buf.toString("latin1", 0, 4) !== "GGUF") throw new Error(`${path}: not a GGUF file`);
  pos = 4;
  u32(); // version
  u64(); // tensor count
  const nKv = u64();
  const md = new Map();
  for (let i = 0; i < nKv; ++i) {
    const key = str();
    md.set(key, value(u32()));
  }
  return md;
}

const [outDir, conversationsPath, ...models] = process.argv.slice(2);
mkdirSync(outDir, { recursive: true });
const conversations = JSON.parse(readFileSync(conversationsPath, "utf8"));
conversations.forEach((messages, i) => {
  writeFileSync(`${outDir}/conv${i}.json`, JSON.stringify(messages));
});
const cases = [];
for (const model of models) {
  const md = readGgufMetadata(model);
  const source = md.get("tokenizer.chat_template");
  if (source === undefined) {
    console.log(`no chat template: ${basename(model)}`);
    continue;
  }
  const tokens = md.get("tokenizer.ggml.tokens");
  const tokenText = (key) => (md.has(key) ? tokens[md.get(key)] : "");
  const template = new Template(source);
  conversations.forEach((messages, i) => {
    for (const gen of [true, false]) {
      const rendered = template.render({
        messages,
        add_generation_prompt: gen,
        bos_token: tokenText("tokenizer.ggml.bos_token_id"),
        eos_token: tokenText("tokenizer.ggml.eos_token_id"),
      });
      const expected = `${outDir}/${basename(model)}.${i}.${gen}.txt`;
      writeFileSync(expected, rendered);
      cases.push([model, `${outDir}/conv${i}.json`, gen ? "1" : "0", expected].join("\t"));
    }
  });
}
writeFileSync(`${outDir}/cases.tsv`, cases.join("\n") + (cases.length ? "\n" : ""));
console.log(`reference renderings: ${cases.length}`);
