#!/usr/bin/env bash
# Measures one replica's capacity curve for docs/planning.md: starts `dsinfer serve` with the
# chart's resources for the model (compute threads, KV memory = memory limit - model - overhead),
# records its start-up phases, sweeps open-loop rates of the built-in translation workload
# (distinct segments), and writes PREFIX.{json,csv,svg} plus PREFIX.host.json (date, commit,
# CPU flags, load before/after, the exact commands).
# usage: measure_replica.sh DSINFER MODEL PREFIX THREADS KV_MEM RATES [bench sweep flags...]
set -euo pipefail
[ $# -ge 6 ] || { sed -n 2,8p "$0"; exit 2; }
bin=$1 model=$2 prefix=$3 threads=$4 kv=$5 rates=$6; shift 6
log=$(mktemp "${TMPDIR:-/tmp}/measure_replica.XXXXXX")
serve=("$bin" serve --model "$model" --host 127.0.0.1 --port 0 --threads "$threads"
       --kv-cache-mem "$kv")
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
"${serve[@]}" 2> "$log" &
server=$!
trap 'kill -TERM $server 2>/dev/null; wait $server 2>/dev/null || true; rm -f "$log"' EXIT
port=""
for _ in $(seq 1 1800); do
  port=$(grep -o '"event":"listening","host":"[^"]*","port":[0-9]*' "$log" | grep -o '[0-9]*$' || true)
  [ -n "$port" ] && curl -sf "http://127.0.0.1:$port/health/ready" >/dev/null && break
  kill -0 $server 2>/dev/null || { cat "$log"; exit 1; }
  sleep 0.5
done
url="http://127.0.0.1:$port"
curl -sf "$url/health/ready" >/dev/null || { echo "server not ready"; cat "$log"; exit 1; }
startup=$(curl -sf "$url/metrics" | grep '^inference_startup_phase_seconds' || true)
bench=("$bin" bench --url "$url" --api translate sweep --rates "$rates" --out "$prefix" "$@")
"${bench[@]}"
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
# the commands as run, with the binary and model named by file name only (no machine paths)
strip() { local a=("$@"); a[0]=dsinfer; echo "${a[*]//$(dirname "$model")\//}"; }
python3 - "$prefix.host.json" "$load_before" "$load_after" "$startup" "$(strip "${serve[@]}")" \
  "$(strip "${bench[@]}")" <<'PY'
import json, subprocess, sys, datetime, re
out, before, after, startup, serve, bench = sys.argv[1:7]
flags = ""
model = ""
for line in open("/proc/cpuinfo"):
    if line.startswith("flags") and not flags:
        flags = line.split(":", 1)[1].split()
    if line.startswith("model name") and not model:
        model = line.split(":", 1)[1].strip()
phases = {}
for line in startup.splitlines():
    m = re.match(r'inference_startup_phase_seconds\{phase="([^"]+)"\}\s+(\S+)', line)
    if m:
        phases[m.group(1)] = float(m.group(2))
import os
json.dump({"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
           "cpu_model": model, "cpus": os.cpu_count(),
           "cpu_flags": sorted(f for f in flags if re.match(r"(avx|fma|f16c|amx|sse4|vnni)", f)),
           "loadavg_before": before, "loadavg_after": after,
           "startup_phase_seconds": phases,
           "serve_command": serve, "bench_command": bench},
          open(out, "w"), indent=2)
print(f"wrote {out}: startup {phases}, load {before} -> {after}")
PY
