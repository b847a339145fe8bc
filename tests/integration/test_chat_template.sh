#!/usr/bin/env bash
# Chat templates: dsinfer chat-template must render every fixture model's template exactly as
# the reference Jinja implementation (@huggingface/jinja, pinned in chat_template/package-lock.json)
# for a set of conversations, with and without the generation prompt.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=common.sh
source "$(dirname "$0")/common.sh"
tmp="${DSINFER_TEST_TMP:-/tmp}/chat_template.$$"
command -v node >/dev/null || skip_or_fail "node is not installed; cannot compare with @huggingface/jinja"
command -v npm >/dev/null || skip_or_fail "npm is not installed; cannot install @huggingface/jinja"
[ -d "$fixtures/golden/models" ] || skip_or_fail "fixtures not found at $fixtures"

# The lockfile pins the reference; --prefer-offline uses npm's cache when it has the package.
(cd "$here/chat_template" && npm ci --prefer-offline --no-audit --no-fund --silent)

mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
models=("$fixtures"/golden/models/*.gguf "$fixtures"/tokenizer/*.gguf)
node "$here/chat_template/render.mjs" "$tmp" "$here/chat_template/conversations.json" "${models[@]}"

pass=0
fail=0
while IFS=$'\t' read -r model conv gen expected; do
  flags=()
  [ "$gen" = 0 ] && flags+=(--no-generation-prompt)
  if ! "$bin" chat-template --model "$model" --messages "$conv" "${flags[@]}" >"$tmp/ours.txt" \
      2>"$tmp/err.txt"; then
    echo "FAIL: dsinfer chat-template failed for $(basename "$model") $(basename "$conv") gen=$gen"
    cat "$tmp/err.txt"
    fail=$((fail + 1))
    continue
  fi
  if cmp -s "$tmp/ours.txt" "$expected"; then
    pass=$((pass + 1))
  else
    echo "FAIL: $(basename "$model") $(basename "$conv") gen=$gen differs from @huggingface/jinja"
    diff <(od -c "$expected") <(od -c "$tmp/ours.txt") | head -20 || true
    fail=$((fail + 1))
  fi
done <"$tmp/cases.tsv"

total=$((pass + fail))
[ "$total" -gt 0 ] || { echo "FAIL: no chat-template cases ran"; exit 1; }
echo "chat templates: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
