#!/usr/bin/env bash
# Voting load benchmark (issue 5): a round with 100,000 eligible vote codes, wrk posting
# ballots with distinct codes at 64 connections on loopback; then computing and publishing
# the result of a round with 100,000 ballots. On SQLite and on PostgreSQL.
# Usage: scripts/bench/vote.sh [sqlite|postgres|both] [seconds] [debug|release]
set -euo pipefail
cd "$(dirname "$0")/../.."
WHICH=${1:-both}
DUR=${2:-20}
PROFILE=${3:-release}
PG_URL=${MEEDOEN_BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432}
command -v wrk >/dev/null || { echo "wrk ontbreekt; installeren met apt-get" >&2; apt-get install -y wrk >/dev/null; }
if [[ $PROFILE == release ]]; then cargo build --release --quiet; fi
BIN=target/$PROFILE/meedoen
WORK=$(mktemp -d)
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT
SERVER=

run_backend() {
  local name=$1 url=$2 port=$3
  echo "== $name: 100.000 stemcodes en een ronde met 100.000 stemmen aanmaken"
  $BIN bb-bench-seed --database-url "$url" --codes 100000 --ballots 100000 --out "$WORK/codes.txt" | tee "$WORK/seed.log"
  local rid plan
  rid=$(awk '/Benchmark: stemmen|stemmen\):/ {print $2; exit}' "$WORK/seed.log")
  plan=$(sed -n 's/.*plannen \([0-9]*\)\.\..*/\1/p' "$WORK/seed.log" | head -1)
  $BIN serve --database-url "$url" --bind 127.0.0.1:$port --public-url http://127.0.0.1:$port >"$WORK/$name.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 1 50); do curl -sf http://127.0.0.1:$port/health >/dev/null && break; sleep 0.2; done
  local page="http://127.0.0.1:$port/haarlem/buurtbudget/$rid/stemmen"
  curl -s -c "$WORK/jar" "$page" >"$WORK/page.html"
  export CSRF_COOKIE=$(awk '$6=="mdn_csrf" {print $7}' "$WORK/jar")
  export CSRF_TOKEN=$(sed -n 's/.*name="_csrf" value="\([^"]*\)".*/\1/p' "$WORK/page.html" | head -1)
  export CODES="$WORK/codes.txt" PLAN=$plan THREADS=2
  wrk -t2 -c64 -d${DUR}s --latency -s scripts/bench/vote.lua "$page" >"$WORK/wrk.txt" 2>&1
  echo "$name: $(grep accepted "$WORK/wrk.txt")"
  echo "$name piekgeheugen: $(awk '/VmHWM/ {printf "%.1f MB", $2/1024}' /proc/$SERVER/status)"
  kill $SERVER; wait $SERVER 2>/dev/null || true; SERVER=
}

if [[ $WHICH == sqlite || $WHICH == both ]]; then
  run_backend sqlite "sqlite://$WORK/bench.db" 18191
fi
if [[ $WHICH == postgres || $WHICH == both ]]; then
  DB=meedoen_bbbench_$$
  psql "$PG_URL/postgres" -qc "CREATE DATABASE $DB" >/dev/null
  run_backend postgres "$PG_URL/$DB" 18192
  psql "$PG_URL/postgres" -qc "DROP DATABASE $DB" >/dev/null
fi
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GB", $2/1048576}' /proc/meminfo), $(uname -m); datum: $(date -I)"
