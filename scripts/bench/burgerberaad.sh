#!/usr/bin/env bash
# Benchmarks of the burgerberaad module (issue 6), not timed tests:
#  1. draw 10,000 invitations from a register of 500,000 persons and write the letters'
#     CSV (parse + validate + draw + CSV), and the PDF letters per second;
#  2. registration load: wrk POSTs registrations, each with its own code, against a
#     release build on SQLite and on PostgreSQL; requests/s, p50, p99.
# Usage: [CONNS=16] scripts/bench/burgerberaad.sh [draw|load|both] [sqlite|postgres|both] [seconds]
set -euo pipefail
cd "$(dirname "$0")/../.."
WHAT=${1:-both}
WHICH=${2:-both}
DUR=${3:-10}
PG_URL=${MEEDOEN_BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432}
export CARGO_BUILD_JOBS=${CARGO_BUILD_JOBS:-2}

if [[ $WHAT == draw || $WHAT == both ]]; then
  echo "== trekking en brieven"
  cargo test --release -q -p meedoen --lib burgerberaad::bench::tests::bench_draw_500k_and_pdf -- --ignored --nocapture 2>&1 | grep BENCH
fi
[[ $WHAT == load || $WHAT == both ]] || exit 0

command -v wrk >/dev/null || { echo "wrk ontbreekt (apt-get install wrk)" >&2; exit 1; }
cargo build --release --quiet
BIN=target/release/meedoen
WORK=$(mktemp -d)
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT
SERVER=

cat >"$WORK/register.lua" <<'LUA'
-- Every request registers with the next unused code; threads take interleaved codes.
local codes = {}
for line in io.lines(os.getenv("CODES")) do codes[#codes + 1] = line end
local threads, counter = {}, 1
function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end
function init(args)
  n = 0
  stride = tonumber(os.getenv("THREADS"))
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
  wrk.headers["Cookie"] = os.getenv("COOKIE")
end
function request()
  local i = id + n * stride
  n = n + 1
  local code = codes[((i - 1) % #codes) + 1]
  local body = "_csrf=" .. os.getenv("CSRF") .. "&code=" .. code ..
    "&f_geslacht=vrouw&f_leeftijd=25-44&available=1&name=Load+Test&email=load%40voorbeeld.nl&consent=1"
  return wrk.format(nil, os.getenv("REGPATH"), nil, body)
end
LUA

run_backend() {
  local name=$1 url=$2 port=$3
  echo "== $name: gegevens aanmaken (40.000 uitnodigingen)"
  MEEDOEN_BENCH_DB="$url" MEEDOEN_BENCH_CODES="$WORK/codes.txt" MEEDOEN_BENCH_N=40000 \
    cargo test --release -q -p meedoen --lib burgerberaad::bench::tests::seed_registration_load -- --ignored --nocapture >"$WORK/seed.log" 2>&1
  local path
  path=$(awk '/BENCH_PATH/ {print $2}' "$WORK/seed.log")
  $BIN serve --database-url "$url" --bind 127.0.0.1:$port --public-url http://127.0.0.1:$port >"$WORK/$name.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 1 50); do curl -sf http://127.0.0.1:$port/health >/dev/null && break; sleep 0.2; done
  curl -s -c "$WORK/jar" "http://127.0.0.1:$port$path" >"$WORK/form.html"
  local csrf cookie
  csrf=$(grep -o 'name="_csrf" value="[^"]*"' "$WORK/form.html" | head -1 | sed 's/.*value="//; s/"$//')
  cookie="mdn_csrf=$(awk '$6=="mdn_csrf" {print $7}' "$WORK/jar")"
  CODES="$WORK/codes.txt" THREADS=2 CSRF="$csrf" COOKIE="$cookie" REGPATH="$path" \
    wrk -t2 -c${CONNS:-16} -d${DUR}s --latency -s "$WORK/register.lua" "http://127.0.0.1:$port" >"$WORK/wrk.txt" 2>&1
  local rps p50 p99 errs
  rps=$(awk '/Requests\/sec/ {print $2}' "$WORK/wrk.txt")
  p50=$(awk '$1=="50%" {print $2}' "$WORK/wrk.txt")
  p99=$(awk '$1=="99%" {print $2}' "$WORK/wrk.txt")
  errs=$(awk '/Non-2xx/ {print $4}' "$WORK/wrk.txt")
  printf "%-10s aanmeldingen/s %8s  p50 %8s  p99 %8s %s\n" "$name" "$rps" "$p50" "$p99" "${errs:+non-2xx: $errs}"
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
