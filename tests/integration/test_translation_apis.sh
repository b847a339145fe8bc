#!/usr/bin/env bash
# DeepL- and LibreTranslate-compatible endpoints with real clients: the official deepl-node
# package and LibreTranslate's JSON API over plain HTTP (tests/integration/translation_apis/).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
: "${DSINFER_BIN:?DSINFER_BIN must point at the dsinfer binary}"
tmp=${DSINFER_TEST_TMP:-$(mktemp -d)}
mkdir -p "$tmp"
bash "$here/../../scripts/npm_ci.sh" "$here/translation_apis"
model="$tmp/translation-apis-demo.gguf"
[ -f "$model" ] || "$DSINFER_BIN" make-model --preset demo --type q8_0 --out "$model" 2>/dev/null
node "$here/translation_apis/translation_apis_test.mjs" "$model"
