#!/usr/bin/env bash
# dsinfer `bench-model` against llama.cpp's `llama-bench` on one GGUF file, alternating the two
# engines (L D, D L, L D, ...: N pairs, one process per run), and prints every run, the medians
# and the median of the per-pair ratios dsinfer / llama.cpp for prefill and decode tok/s.
# Needs an existing llama.cpp build (this script never builds it) and jq.
#
#   bench/vs_llama_model.sh LLAMA_BIN_DIR DSINFER N MODEL [THREADS] [PROMPT_LEN] [GEN_LEN]
#   bench/vs_llama_model.sh ~/llama.cpp/build/bin build/release/src/cli/dsinfer 2 r1q-1.5b-q4_k.gguf 2 512 128
set -euo pipefail

if [[ $# -lt 4 || ! "$3" =~ ^[1-9][0-9]*$ ]]; then
  sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
llama_bench=$1/llama-bench dsinfer=$2 pairs=$3 model=$4
threads=${5:-2} prompt_len=${6:-512} gen_len=${7:-128}
for bin in "$llama_bench" "$dsinfer"; do
  [[ -x "$bin" ]] || { echo "vs_llama_model: not an executable: $bin" >&2; exit 2; }
done
[[ -r "$model" ]] || { echo "vs_llama_model: cannot read $model" >&2; exit 2; }

# One run each: "prefill_tok_s decode_tok_s". llama-bench prints one JSON line per test
# (pp<prompt_len> with n_gen 0, tg<gen_len> with n_prompt 0) after its own warm-up run;
# bench-model warms up once with the whole prompt (as llama-bench does), then runs --reps 1.
run_llama() {
  "$llama_bench" -m "$model" -t "$threads" -p "$prompt_len" -n "$gen_len" -r 1 -o jsonl 2>/dev/null |
    jq -rs '[(.[] | select(.n_gen == 0) | .avg_ts), (.[] | select(.n_prompt == 0) | .avg_ts)] | "\(.[0]) \(.[1])"'
}
run_dsinfer() {
  "$dsinfer" bench-model --model "$model" --threads "$threads" --prompt-len "$prompt_len" \
    --gen-len "$gen_len" --reps 1 --json 2>/dev/null | jq -r '"\(.prefill_tok_s) \(.decode_tok_s)"'
}

rows=()
for ((i = 1; i <= pairs; ++i)); do
  if ((i % 2)); then
    l=$(run_llama)
    d=$(run_dsinfer)
    order="llama.cpp first"
  else
    d=$(run_dsinfer)
    l=$(run_llama)
    order="dsinfer first"
  fi
  echo "pair $i ($order): prefill/decode tok/s dsinfer $d | llama.cpp $l" >&2
  rows+=("$d $l")
done

printf '%s\n' "${rows[@]}" | awk -v model="$(basename "$model")" '
  function median(v, n,   i, j, t) {
    for (i = 2; i <= n; ++i) for (j = i; j > 1 && v[j - 1] > v[j]; --j) {
      t = v[j]; v[j] = v[j - 1]; v[j - 1] = t
    }
    return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
  }
  { dp[NR] = $1; dd[NR] = $2; lp[NR] = $3; ld[NR] = $4; rp[NR] = $1 / $3; rd[NR] = $2 / $4 }
  END {
    printf "%s prefill tok/s: dsinfer %.1f, llama.cpp %.1f, pair-ratio median %.2f\n",
      model, median(dp, NR), median(lp, NR), median(rp, NR)
    printf "%s decode  tok/s: dsinfer %.1f, llama.cpp %.1f, pair-ratio median %.2f\n",
      model, median(dd, NR), median(ld, NR), median(rd, NR)
  }'
