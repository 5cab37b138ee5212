#!/usr/bin/env bash
# Benchmark: our LEXIMIN (and the 1000-panel lottery) beside the Python
# `sortition-algorithms` maximin (HiGHS) on the same generated Dutch-like pools
# and on the public example_large_200. Not a timed test: it prints figures for
# docs/benchmarks/sortition.md.
#
# Usage: scripts/conformance/sortition/bench.sh
#   PY=0            skip the Python oracle
#   PY_TIMEOUT=600  seconds before the Python run is abandoned
#   SIZES="n:k:areas:categories:seed ..."  (default below)
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../../.." && pwd)"
DATA="${MEEDOEN_SHARED_DATA:-$ROOT/../shared/data}/sortition"
PY="${PY:-1}"
PY_TIMEOUT="${PY_TIMEOUT:-600}"
SIZES="${SIZES:-200:20:4:5:1 300:30:6:6:1 500:50:6:6:1 500:50:8:7:2 1000:100:6:6:1}"
if [ ! -d "$DATA" ]; then
  echo "FAIL: shared data not found at $DATA (set MEEDOEN_SHARED_DATA)" >&2
  exit 1
fi
cd "$ROOT"
cargo build -q -p sortition --release --example bench
BENCH="$ROOT/target/release/examples/bench"
if [ "$PY" = 1 ]; then VENV="$("$HERE/setup_venv.sh")"; fi
WORK="$(mktemp -d /tmp/sortition-bench.XXXXXX)"
echo "# $(date -u +%Y-%m-%dT%H:%MZ) $(uname -m), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"

python_time() {
  if [ "$PY" != 1 ]; then echo "-"; return; fi
  local out
  if out=$(timeout "$PY_TIMEOUT" "$VENV/bin/python" "$HERE/oracle.py" "$1" "$2" "$3" 2>/dev/null | tail -n 1); then
    python3 -c "import json,sys; d=json.loads(sys.argv[1]); print(f\"{d['seconds']:.2f}s min={d['min_probability']:.6f}\")" "$out"
  else
    echo ">${PY_TIMEOUT}s"
  fi
}

for spec in $SIZES; do
  IFS=: read -r n k areas cats seed <<< "$spec"
  dir="$WORK/$n-$k-$areas-$cats-$seed"
  ours=$("$BENCH" "$n" "$k" "$areas" "$cats" "$seed" "$dir")
  echo "dutch areas=$areas seed=$seed $ours | python_maximin $(python_time "$dir/categories.csv" "$dir/respondents.csv" "$k")"
done
ours=$("$BENCH" file "$DATA/example_large_200/categories.csv" "$DATA/example_large_200/respondents.csv" 200)
echo "example_large_200 $ours | python_maximin $(PY_TIMEOUT=$PY_TIMEOUT python_time "$DATA/example_large_200/categories.csv" "$DATA/example_large_200/respondents.csv" 200)"
rm -rf "$WORK"
