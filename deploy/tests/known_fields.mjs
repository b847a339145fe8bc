// Unknown-field check (what `kubectl --validate=strict` asks the API server for): the schemas of
// kubernetes-models accept unknown keys, so this walks an object along the typed interfaces of
// the packages' .d.ts files and reports every key no interface declares (a typo such as
// `livenesProbe` would otherwise be dropped silently by the API server).
import fs from "node:fs";
import path from "node:path";
const here = path.dirname(new URL(import.meta.url).pathname);
const cache = new Map();

// Resolves an import specifier of a .d.ts file to the path of the imported .d.ts.
function resolveDts(spec, fromFile) {
  if (spec.startsWith(".")) return path.resolve(path.dirname(fromFile), spec.replace(/\.js$/, ".d.ts"));
  const parts = spec.split("/");
  const pkg = parts.splice(0, spec.startsWith("@") ? 2 : 1).join("/");
  return path.join(here, "node_modules", pkg, `${parts.join("/").replace(/\.js$/, "")}.d.ts`);
}

// Parses the first interface of a .d.ts: { props: Map(name -> typeText), imports: Map(alias -> file) }
// or null when the file declares a type alias (a leaf such as IntOrString or Quantity).
function parseInterface(file) {
  if (cache.has(file)) return cache.get(file);
  const text = fs.readFileSync(file, "utf8");
  const imports = new Map();
  for (const m of text.matchAll(/^import \{ ([^}]+) \} from "([^"]+)";$/gm)) {
    for (const alias of m[1].split(",").map((s) => s.trim())) imports.set(alias, resolveDts(m[2], file));
  }
  const head = /^export interface I\w+(?: extends ([\w, ]+))? \{$/m.exec(text);
  let result = null;
  // An interface inheriting more than TypeMeta is left unchecked (its parents' keys are elsewhere).
  if (head && (!head[1] || head[1].trim() === "TypeMeta")) {
    const start = head.index;
    const props = new Map();
    const body = text.slice(start).split("\n");
    for (let i = 1; i < body.length && body[i] !== "}"; i++) {
      const m = /^ {4}"([^"]+)"\??: (.*)$/.exec(body[i]);
      if (m) props.set(m[1], m[2].replace(/;$/, ""));
    }
    result = { props, imports };
  }
  cache.set(file, result);
  return result;
}

// Appends to `out` the path of every key of `value` that the interface in `file` does not declare.
function walk(value, file, where, out) {
  const iface = parseInterface(file);
  if (!iface || value === null || typeof value !== "object" || Array.isArray(value)) return;
  for (const [key, child] of Object.entries(value)) {
    const type = iface.props.get(key);
    if (type === undefined) {
      out.push(`${where}.${key}`);
      continue;
    }
    // Array<IFoo> / IFoo refer to another interface; maps, unions and literals are leaves.
    const m = /^(?:Array<)?(I\w+)>?$/.exec(type);
    const target = m && iface.imports.get(m[1]);
    if (!target) continue;
    if (Array.isArray(child)) child.forEach((c, i) => walk(c, target, `${where}.${key}[${i}]`, out));
    else walk(child, target, `${where}.${key}`, out);
  }
}

// unknownFields(obj, modulePath): key paths of obj not declared by its model's interfaces.
export function unknownFields(obj, modulePath) {
  const out = [];
  walk(obj, resolveDts(modulePath, path.join(here, "index.d.ts")), obj.kind, out);
  return out;
}
