#!/usr/bin/env bash
# dsinfer generate (through the engine): --json output contract, greedy ids equal to the
# reference's expected_greedy_tokens (manifest compare rule), --prompt text tokenized with BOS,
# --parallel N giving N identical greedy results, and clear errors for bad input.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=common.sh
source "$(dirname "$0")/common.sh"
[ -f "$fixtures/golden/manifest.json" ] || skip_or_fail "fixtures not found at $fixtures"

# Every llama/qwen2 case: generate --prompt-tokens --json vs expected_greedy_tokens.
python3 - "$bin" "$fixtures" <<'PY'
import json, subprocess, sys
bin_, fx = sys.argv[1], sys.argv[2]
m = json.load(open(f"{fx}/golden/manifest.json"))
checked = 0
for c in m["cases"]:
    if c["arch"] not in ("llama", "qwen2"):
        continue
    ids = ",".join(map(str, c["prompt_tokens"]))
    out = subprocess.run([bin_, "--log-level", "warn", "generate", "--model",
                          f"{fx}/golden/{c['model_file']}", "--prompt-tokens", ids, "-n", "32",
                          "--ignore-eos", "--json", "--kv-cache-mem", "64MiB", "--threads", "2"],
                         check=True, capture_output=True, text=True).stdout
    got = json.loads(out)
    assert set(got) == {"ids", "text"}, got
    tol = c["recommended_tolerance_max_abs"]
    for g, (a, b) in enumerate(zip(got["ids"], c["expected_greedy_tokens"])):
        if c["greedy_top2_margins"][g] < 2 * tol:
            break
        assert a == b, f"{c['id']}: step {g}: got {a}, expected {b}"
    checked += 1
assert checked >= 40, checked
print(f"ok: {checked} cases match the reference greedy tokens")

# --prompt TEXT is tokenized with BOS (as the metadata says): same ids as the prompt_tokens run.
c = next(c for c in m["cases"] if c["id"] == "tiny-dsllm-llama-F32-p1_en")
model = f"{fx}/golden/{c['model_file']}"
run = lambda *a: subprocess.run([bin_, "--log-level", "warn", "generate", "--model", model,
                                 "--kv-cache-mem", "64MiB", *a], capture_output=True, text=True)
text = json.loads(run("--prompt", c["prompt"], "-n", "8", "--json", "--ignore-eos").stdout)
assert text["ids"] == c["expected_greedy_tokens"][:8], text

# --parallel 4: four JSON lines, all equal to the single run.
par = run("--prompt", c["prompt"], "-n", "8", "--json", "--ignore-eos", "--parallel", "4")
lines = [json.loads(l) for l in par.stdout.splitlines()]
assert len(lines) == 4 and all(l == text for l in lines), par.stdout

# Plain text mode prints the same text.
plain = run("--prompt", c["prompt"], "-n", "8", "--ignore-eos")
assert plain.returncode == 0 and plain.stdout.rstrip("\n") == text["text"], plain.stdout

# Errors: exit code 2 with a message naming the problem.
for args, needle in [(["--prompt-tokens", "1,x"], "not a token id"),
                     (["--prompt-tokens", "1,2", "-n", "600"], "exceeds the context size"),
                     (["--prompt-tokens", "1,2", "--ctx-size", "100000"], "cannot hold one sequence"),
                     ([], "exactly one of")]:
    r = run(*args)
    assert r.returncode == 2 and needle in r.stderr, (args, r.returncode, r.stderr)
print("ok: --prompt, --parallel, text mode, errors")
PY
