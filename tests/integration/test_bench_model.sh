#!/usr/bin/env bash
# dsinfer bench-model: the --json output contract (keys, types, the figures' relations), batch
# and --no-repack reflected in it, the bandwidth ceilings of --measure-bandwidth, and clear
# errors for bad input. Uses a tiny fixture model, so it checks the contract, not the speed.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=common.sh
source "$(dirname "$0")/common.sh"
model="$fixtures/golden/models/tiny-r1qwen-qwen2-Q8_0.gguf"
[ -f "$model" ] || skip_or_fail "fixture model not found at $model"

python3 - "$bin" "$model" <<'PY'
import json, subprocess, sys
bin_, model = sys.argv[1], sys.argv[2]

def bench(*args):
    return subprocess.run([bin_, "--log-level", "warn", "bench-model", "--model", model,
                           "--threads", "2", "--prompt-len", "8", "--gen-len", "4", "--reps", "1",
                           *args], capture_output=True, text=True)

r = bench("--batch", "2", "--json", "--measure-bandwidth")
assert r.returncode == 0, r.stderr
j = json.loads(r.stdout)
for key in ["model", "file", "weight_type", "isa"]:
    assert isinstance(j[key], str) and j[key], (key, j)
assert j["threads"] == 2 and j["batch"] == 2 and j["prompt_len"] == 8 and j["gen_len"] == 4, j
assert j["weight_repack"] is True, j
for key in ["prefill_tok_s", "decode_tok_s", "prefill_tok_per_cpu_s", "decode_tok_per_cpu_s",
            "load_s", "bandwidth_gb_s_ceiling", "read_bandwidth_gb_s"]:
    assert isinstance(j[key], (int, float)) and j[key] > 0, (key, j)
assert len(j["prefill_tok_s_runs"]) == 1 and len(j["decode_tok_s_runs"]) == 1, j
for key in ["weight_bytes", "file_bytes", "kv_pool_bytes", "max_rss_bytes"]:
    assert isinstance(j[key], int) and j[key] > 0, (key, j)
assert j["weight_bytes"] <= j["file_bytes"], j
# Each ceiling is its bandwidth divided by the bytes one decode step reads.
for bw, ceiling in [("bandwidth_gb_s_ceiling", "decode_tok_s_ceiling"),
                    ("read_bandwidth_gb_s", "decode_tok_s_read_ceiling")]:
    expect = j[bw] * 1e9 / j["weight_bytes"]
    assert abs(j[ceiling] - expect) <= 1e-6 * expect, (ceiling, j)

# --no-repack is reported; plain text mode names the figures.
j = json.loads(bench("--no-repack", "--json").stdout)
assert j["weight_repack"] is False and "read_bandwidth_gb_s" not in j, j
text = bench().stdout
assert "prefill pp8:" in text and "decode tg4:" in text, text

# Errors: a non-zero exit and a message naming the problem, no traceback-like crash.
for args, needle in [(["--prompt-len", "0"], "--prompt-len"),
                     (["--batch", "0"], "--batch")]:
    r = bench(*args)
    assert r.returncode != 0 and needle in r.stderr, (args, r.returncode, r.stderr)
r = subprocess.run([bin_, "bench-model", "--model", model + ".missing"],
                   capture_output=True, text=True)
assert r.returncode != 0 and ".missing" in r.stderr, r.stderr
print("ok: bench-model JSON contract, ceilings, --no-repack and errors")
PY
