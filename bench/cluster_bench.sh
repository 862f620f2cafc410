#!/bin/sh
# Durable state transitions/s of 1, 2 and 3 `stepline serve --store postgres://...` nodes on
# one PostgreSQL database, and PostgreSQL round trips per transition.
#
#     cargo build --release -p stepline
#     bench/cluster_bench.sh [postgres://postgres@127.0.0.1:5432] [requests per node] [connections per node]
#
# Each run gets a fresh database. Every node is loaded by its own `stepline bench server
# --workload standard` (a 3-state Pass STANDARD machine: one durable submission per execution,
# 3 transitions), all at once; the transitions/s of the nodes add up. Each node prints its
# PostgreSQL counters when it stops: write round trips (one per group commit), reads (one query
# each: the state machine read of every StartExecution, lease renewals, inbox looks).
#
# On a small machine the nodes, the load generators and PostgreSQL share the same cores:
# more nodes then add no CPU, so the figures show the cost of coordination, not scaling.
set -eu
BASE=${1:-postgres://postgres@127.0.0.1:5432}
REQUESTS=${2:-20000}
CONNECTIONS=${3:-32}
BIN=${STEPLINE_BIN:-$(dirname "$0")/../target/release/stepline}
PORT0=${STEPLINE_BENCH_PORT:-18390}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

for N in 1 2 3; do
  DB="stepline_cluster_bench_$$_$N"
  psql "$BASE/postgres" -qc "CREATE DATABASE $DB" >/dev/null
  PIDS=""
  i=0
  while [ $i -lt $N ]; do
    "$BIN" serve --store "$BASE/$DB" --port $((PORT0 + i)) --node-id "bench$i" >"$TMP/node$i.log" 2>&1 &
    PIDS="$PIDS $!"
    i=$((i + 1))
  done
  i=0
  while [ $i -lt $N ]; do
    until grep -q "listening on" "$TMP/node$i.log" 2>/dev/null; do sleep 0.1; done
    i=$((i + 1))
  done
  START=$(date +%s.%N)
  i=0
  BPIDS=""
  while [ $i -lt $N ]; do
    "$BIN" bench server --workload standard --endpoint "http://127.0.0.1:$((PORT0 + i))" \
      --requests "$REQUESTS" --connections "$CONNECTIONS" >"$TMP/bench$i.log" 2>&1 &
    BPIDS="$BPIDS $!"
    i=$((i + 1))
  done
  for p in $BPIDS; do wait "$p"; done
  END=$(date +%s.%N)
  for p in $PIDS; do kill -TERM "$p"; done
  for p in $PIDS; do wait "$p" || true; done
  TOTAL=$((REQUESTS * N))
  echo "== $N node(s): $TOTAL executions, $((TOTAL * 3)) transitions"
  cat "$TMP"/bench*.log | grep -E "^standard|rror" || true
  grep -h "PostgreSQL:" "$TMP"/node*.log || true
  awk -v t0="$START" -v t1="$END" -v n="$TOTAL" 'BEGIN {
    printf "aggregate: %.0f executions/s = %.0f transitions/s (wall clock of all loads)\n", n / (t1 - t0), 3 * n / (t1 - t0) }'
  grep -h "PostgreSQL:" "$TMP"/node*.log | awk -v n="$TOTAL" '{
      for (i = 1; i <= NF; i++) { if ($i == "write") w += $(i - 1); if ($i == "reads;") r += $(i - 1) } }
    END { printf "round trips per transition: %.4f writes + %.4f reads = %.4f\n", w / (3 * n), r / (3 * n), (w + r) / (3 * n) }'
  rm -f "$TMP"/*.log
  psql "$BASE/postgres" -qc "DROP DATABASE $DB WITH (FORCE)" >/dev/null
done
