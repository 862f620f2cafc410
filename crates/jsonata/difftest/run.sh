#!/usr/bin/env bash
# Differential test of this crate against jsonata-js (npm jsonata@2).
#   crates/jsonata/difftest/run.sh [COUNT] [SEED]
# Installs jsonata@2 into a temporary folder, generates COUNT expression/input pairs
# (grammar-based, deterministic for a SEED), evaluates them with jsonata-js in chunks (a case
# that hangs or exhausts memory inside jsonata-js itself is recorded as skipped), then replays
# them through this crate (tests/differential.rs) and prints the disagreements by category.
set -uo pipefail
COUNT="${1:-100000}"
SEED="${2:-1}"
CHUNK=2000
HERE="$(cd "$(dirname "$0")" && pwd)"
WORK="${WORK:-$(mktemp -d)}"
if [ ! -d "$WORK/node_modules/jsonata" ]; then
  (cd "$WORK" && npm init -y >/dev/null && npm install --silent jsonata@2 >/dev/null) || exit 1
fi
OUT="$WORK/cases.jsonl"
: > "$OUT"
from=0
while [ "$from" -lt "$COUNT" ]; do
  to=$(( from + CHUNK < COUNT ? from + CHUNK : COUNT ))
  FROM=$from TRACE=1 NODE_PATH="$WORK/node_modules" timeout 120 \
    node --max-old-space-size=1024 "$HERE/generate.js" "$to" "$SEED" >> "$OUT" 2> "$WORK/trace"
  if [ $? -ne 0 ]; then
    bad=$(grep -E '^[0-9]+$' "$WORK/trace" | tail -1)
    echo "jsonata-js crashed or hung on case $bad; recorded as skipped" >&2
    echo "{\"id\":$bad,\"doc\":0,\"expr\":\"(skipped)\",\"error\":\"SKIP\"}" >> "$OUT"
    from=$(( bad + 1 ))
  else
    from=$to
  fi
done
FROM=$COUNT LAST=1 NODE_PATH="$WORK/node_modules" node "$HERE/generate.js" "$COUNT" "$SEED" >> "$OUT"
echo "$(grep -c '"expr"' "$OUT") cases in $OUT" >&2
STEPLINE_JSONATA_DIFF="$OUT" STEPLINE_JSONATA_DIFF_ALLOWED="${ALLOWED:-0}" \
  cargo test --release -p jsonata --test differential -- --nocapture
