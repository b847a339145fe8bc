#!/usr/bin/env bash
# Paired A/B of two dsinfer builds on `bench-model`: runs A B A B ... (N pairs, one process per
# run), then prints each run's prefill/decode tok/s, the medians, and the median of the per-pair
# ratios A/B. Pairing keeps the ratio meaningful on a machine whose speed drifts between runs.
#
#   bench/ab_model.sh N DSINFER_A DSINFER_B BENCH_MODEL_ARGS...
#   bench/ab_model.sh 5 build/new/src/cli/dsinfer build/old/src/cli/dsinfer \
#       --model r1q-1.5b-q4_k.gguf --threads 2 --prompt-len 512 --gen-len 128 --reps 1
set -euo pipefail

if [[ $# -lt 4 || ! "$1" =~ ^[1-9][0-9]*$ ]]; then
  sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
pairs=$1 bin_a=$2 bin_b=$3
shift 3
for bin in "$bin_a" "$bin_b"; do
  [[ -x "$bin" ]] || { echo "ab_model: not an executable: $bin" >&2; exit 2; }
done

# One run: "prefill decode" from bench-model's JSON line.
run_once() {
  local json
  json=$("$1" bench-model "${@:2}" --json)
  local prefill decode
  prefill=$(grep -o '"prefill_tok_s":[0-9.e+-]*' <<<"$json" | cut -d: -f2)
  decode=$(grep -o '"decode_tok_s":[0-9.e+-]*' <<<"$json" | cut -d: -f2)
  [[ -n "$prefill" && -n "$decode" ]] || { echo "ab_model: no figures in: $json" >&2; exit 1; }
  echo "$prefill $decode"
}

rows=()
for ((i = 1; i <= pairs; ++i)); do
  a=$(run_once "$bin_a" "$@")
  b=$(run_once "$bin_b" "$@")
  echo "pair $i: A prefill/decode $a | B $b" >&2
  rows+=("$a $b")
done

printf '%s\n' "${rows[@]}" | awk '
  function median(v, n,   i, j, t) {
    for (i = 2; i <= n; ++i) for (j = i; j > 1 && v[j - 1] > v[j]; --j) {
      t = v[j]; v[j] = v[j - 1]; v[j - 1] = t
    }
    return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
  }
  { ap[NR] = $1; ad[NR] = $2; bp[NR] = $3; bd[NR] = $4; rp[NR] = $1 / $3; rd[NR] = $2 / $4 }
  END {
    n = NR
    printf "prefill tok/s: A median %.1f, B median %.1f, A/B pair-ratio median %.3f\n",
      median(ap, n), median(bp, n), median(rp, n)
    printf "decode  tok/s: A median %.1f, B median %.1f, A/B pair-ratio median %.3f\n",
      median(ad, n), median(bd, n), median(rd, n)
  }'
