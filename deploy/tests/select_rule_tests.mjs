// Keeps only the promtool test groups whose name matches REGEX: a mutation of the rules is run
// against the cases that must catch it, not the whole file (each group re-evaluates every rule).
// usage: node select_rule_tests.mjs TEST_FILE OUT_FILE REGEX   (exit 1 when nothing matches)
import fs from "node:fs";
import { parse, stringify } from "yaml";

const [input, output, pattern] = process.argv.slice(2);
if (!input || !output || !pattern) {
  console.error("usage: node select_rule_tests.mjs TEST_FILE OUT_FILE REGEX");
  process.exit(2);
}
const doc = parse(fs.readFileSync(input, "utf8"));
const re = new RegExp(pattern);
const kept = (doc.tests ?? []).filter((t) => re.test(t.name ?? ""));
if (kept.length === 0) {
  console.error(`FAIL select_rule_tests: no test group of ${input} matches /${pattern}/`);
  process.exit(1);
}
fs.writeFileSync(output, stringify({ ...doc, tests: kept }, { lineWidth: 0 }));
