#!/usr/bin/env bash
# Conformance: our engine (`meedoen sortition select --json`, maximin and leximin)
# against the Sortition Foundation's `sortition-algorithms` maximin with HiGHS,
# run as a separate process from a /tmp venv, on the same instances. The minimum
# selection probability must agree within TOL (default 1e-4).
#
# Instances: the public ones in $MEEDOEN_SHARED_DATA/sortition (default
# ../shared/data from the repository root; the script fails if absent) and
# generated Dutch-like pools. example_large_200 and larger pools only with LARGE=1.
#
# Usage: scripts/conformance/sortition/run.sh
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../../.." && pwd)"
DATA="${MEEDOEN_SHARED_DATA:-$ROOT/../shared/data}/sortition"
TOL="${TOL:-1e-4}"
if [ ! -d "$DATA" ]; then
  echo "FAIL: shared data not found at $DATA (set MEEDOEN_SHARED_DATA)" >&2
  exit 1
fi
VENV="$("$HERE/setup_venv.sh")"
cd "$ROOT"
cargo build -q -p meedoen
cargo build -q -p sortition --release --example bench
MEEDOEN="$ROOT/target/debug/meedoen"
WORK="$(mktemp -d /tmp/sortition-conformance.XXXXXX)"

cases=(
  "example_small_20|$DATA/example_small_20/categories.csv|$DATA/example_small_20/respondents.csv|20"
  "sf-fixture-150|$DATA/sf-fixture-150/features.csv|$DATA/sf-fixture-150/candidates.csv|22"
)
if [ "${LARGE:-0}" = 1 ]; then
  cases+=("example_large_200|$DATA/example_large_200/categories.csv|$DATA/example_large_200/respondents.csv|200")
fi
generated=("150 15 4 5 1" "200 20 5 6 2")
if [ "${LARGE:-0}" = 1 ]; then
  generated+=("300 30 6 6 3" "500 50 8 7 4")
fi
for spec in "${generated[@]}"; do
  set -- $spec
  dir="$WORK/dutch-$1-$2-$3-$4-$5"
  "$ROOT/target/release/examples/bench" "$1" "$2" "$3" "$4" "$5" "$dir" > /dev/null
  cases+=("dutch n=$1 k=$2 areas=$3 cats=$4 seed=$5|$dir/categories.csv|$dir/respondents.csv|$2")
done

passed=0
failed=0
printf "%-36s %12s %12s %12s %10s %10s\n" instance ours_maximin ours_leximin python_maximin ours_s python_s
for c in "${cases[@]}"; do
  IFS='|' read -r name cats people k <<< "$c"
  t0=$(date +%s.%N)
  ours=$("$MEEDOEN" sortition select --categories "$cats" --people "$people" --panel-size "$k" --algorithm maximin --seed 1 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["min_probability"])')
  t1=$(date +%s.%N)
  lex=$("$MEEDOEN" sortition select --categories "$cats" --people "$people" --panel-size "$k" --algorithm leximin --seed 1 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["min_probability"])')
  # The library logs progress on stdout; the oracle's JSON is the last line.
  py=$("$VENV/bin/python" "$HERE/oracle.py" "$cats" "$people" "$k" 2>/dev/null | tail -n 1)
  pmin=$(echo "$py" | python3 -c 'import json,sys; print(json.load(sys.stdin)["min_probability"])')
  psec=$(echo "$py" | python3 -c 'import json,sys; print(json.load(sys.stdin)["seconds"])')
  osec=$(python3 -c "print($t1 - $t0)")
  ok=$(python3 -c "print(int(abs($ours - $pmin) <= $TOL and abs($lex - $pmin) <= $TOL))")
  printf "%-36s %12.6f %12.6f %12.6f %10.2f %10.2f %s\n" "$name" "$ours" "$lex" "$pmin" "$osec" "$psec" "$([ "$ok" = 1 ] && echo ok || echo MISMATCH)"
  if [ "$ok" = 1 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
done
rm -rf "$WORK"
echo "conformance: $passed passed, $failed failed"
[ "$failed" = 0 ]
