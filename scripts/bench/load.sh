#!/usr/bin/env bash
# Load benchmark of the public pages (issue 2): city-scale data (2,000 trajectories,
# 200,000 reactions, 100,000 users), wrk with 64 connections on loopback against a release
# build, on SQLite and on PostgreSQL. Prints requests/s and p50/p99 per page and the
# server's peak memory (VmHWM). Usage: scripts/bench/load.sh [sqlite|postgres|both] [seconds]
set -euo pipefail
cd "$(dirname "$0")/../.."
WHICH=${1:-both}
DUR=${2:-15}
PG_URL=${MEEDOEN_BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432}
command -v wrk >/dev/null || { echo "wrk ontbreekt; installeren met apt-get" >&2; apt-get install -y wrk >/dev/null; }
cargo build --release --quiet
BIN=target/release/meedoen
WORK=$(mktemp -d)
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT
SERVER=

run_backend() {
  local name=$1 url=$2 port=$3
  echo "== $name: gegevens aanmaken"
  local t0=$(date +%s)
  $BIN bench-seed --database-url "$url" >"$WORK/$name-seed.log" 2>&1
  echo "   klaar in $(( $(date +%s) - t0 )) s"
  $BIN serve --database-url "$url" --bind 127.0.0.1:$port --public-url http://127.0.0.1:$port >"$WORK/$name.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 1 50); do curl -sf http://127.0.0.1:$port/health >/dev/null && break; sleep 0.2; done
  local tid area
  tid=$(curl -s "http://127.0.0.1:$port/api/v1/haarlem/trajecten?fase=loopt" | python3 -c 'import sys,json; print(json.load(sys.stdin)["items"][0]["id"])')
  area=$(curl -s "http://127.0.0.1:$port/api/v1/haarlem/trajecten/$tid" | python3 -c 'import sys,json; print(json.load(sys.stdin)["area_id"])')
  printf "%-10s %-28s %10s %9s %9s\n" backend page "req/s" p50 p99
  for page in "/haarlem" "/haarlem/trajecten?gebied=$area&fase=loopt" "/haarlem/trajecten/$tid"; do
    # Warm-up: the first requests fill the caches (map outlines, page data).
    wrk -t2 -c64 -d2s "http://127.0.0.1:$port$page" >/dev/null 2>&1
    wrk -t2 -c64 -d${DUR}s --latency "http://127.0.0.1:$port$page" >"$WORK/wrk.txt" 2>&1
    local rps p50 p99 errs
    rps=$(awk '/Requests\/sec/ {print $2}' "$WORK/wrk.txt")
    p50=$(awk '$1=="50%" {print $2}' "$WORK/wrk.txt")
    p99=$(awk '$1=="99%" {print $2}' "$WORK/wrk.txt")
    errs=$(awk '/Non-2xx/ {print $4}' "$WORK/wrk.txt")
    printf "%-10s %-28s %10s %9s %9s %s\n" "$name" "${page:0:28}" "$rps" "$p50" "$p99" "${errs:+non-2xx: $errs}"
  done
  echo "$name piekgeheugen: $(awk '/VmHWM/ {printf "%.1f MB", $2/1024}' /proc/$SERVER/status)"
  kill $SERVER; wait $SERVER 2>/dev/null || true; SERVER=
}

if [[ $WHICH == sqlite || $WHICH == both ]]; then
  run_backend sqlite "sqlite://$WORK/bench.db" 18181
fi
if [[ $WHICH == postgres || $WHICH == both ]]; then
  DB=meedoen_bench_$$
  psql "$PG_URL/postgres" -qc "CREATE DATABASE $DB" >/dev/null
  run_backend postgres "$PG_URL/$DB" 18182
  psql "$PG_URL/postgres" -qc "DROP DATABASE $DB" >/dev/null
fi
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GB", $2/1048576}' /proc/meminfo), $(uname -m); datum: $(date -I)"
