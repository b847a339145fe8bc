#!/usr/bin/env bash
# Paired A/B of two dsinfer builds on `bench-model`: runs A B, B A, A B ... (N pairs, one process
# per run), then prints each run's prefill/decode tok/s and tokens per CPU-second, the medians, and
# the median of the per-pair ratios A/B. Pairing keeps the ratio meaningful on a machine whose
# speed drifts between runs.
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

# One run: "prefill decode prefill_per_cpu_s decode_per_cpu_s" from bench-model's JSON line.
run_once() {
  local json
  json=$("$1" bench-model "${@:2}" --json)
  local figures=() key value
  for key in prefill_tok_s decode_tok_s prefill_tok_per_cpu_s decode_tok_per_cpu_s; do
    value=$(grep -o "\"$key\":[0-9.e+-]*" <<<"$json" | cut -d: -f2)
    [[ -n "$value" ]] || { echo "ab_model: no $key in: $json" >&2; exit 1; }
    figures+=("$value")
  done
  echo "${figures[*]}"
}

# NOTE: the order alternates (A B, B A, A B, ...): on the shared VM the first run of a pair was
# measured ~7 % faster in prefill than the second whichever build it was (2026-12-06), so a
# fixed A-then-B order biases the ratio by that much.
rows=()
for ((i = 1; i <= pairs; ++i)); do
  if ((i % 2)); then
    a=$(run_once "$bin_a" "$@")
    b=$(run_once "$bin_b" "$@")
    order="A first"
  else
    b=$(run_once "$bin_b" "$@")
    a=$(run_once "$bin_a" "$@")
    order="B first"
  fi
  echo "pair $i ($order): A prefill/decode/per-cpu-s $a | B $b" >&2
  rows+=("$a $b")
done

# NOTE: tok/s is what a user sees but moves with the other jobs on a shared machine; tokens per
# CPU-second (all threads) counts the work done and moves much less, so on a loaded machine its
# pair ratio is the one that can resolve a few per cent.
printf '%s\n' "${rows[@]}" | awk '
  function median(v, n,   i, j, t) {
    for (i = 2; i <= n; ++i) for (j = i; j > 1 && v[j - 1] > v[j]; --j) {
      t = v[j]; v[j] = v[j - 1]; v[j - 1] = t
    }
    return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
  }
  {
    ap[NR] = $1; ad[NR] = $2; bp[NR] = $5; bd[NR] = $6
    rp[NR] = $1 / $5; rd[NR] = $2 / $6; rcp[NR] = $3 / $7; rcd[NR] = $4 / $8
    acp[NR] = $3; acd[NR] = $4; bcp[NR] = $7; bcd[NR] = $8
  }
  END {
    n = NR
    printf "prefill tok/s: A median %.1f, B median %.1f, A/B pair-ratio median %.3f\n",
      median(ap, n), median(bp, n), median(rp, n)
    printf "decode  tok/s: A median %.1f, B median %.1f, A/B pair-ratio median %.3f\n",
      median(ad, n), median(bd, n), median(rd, n)
    printf "prefill tok/CPU-s: A median %.1f, B median %.1f, A/B pair-ratio median %.3f\n",
      median(acp, n), median(bcp, n), median(rcp, n)
    printf "decode  tok/CPU-s: A median %.1f, B median %.1f, A/B pair-ratio median %.3f\n",
      median(acd, n), median(bcd, n), median(rcd, n)
  }'
