#!/usr/bin/env bash
# Benchmark: `meedoen pb bench` times every rule on the pabulib data and pabutools beside it
# (separate process) in the same run.
#   scripts/conformance/pb/bench.sh [--pabutools-max-ballots N] [--rules ...]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../../.." && pwd)"
DATA="${MEEDOEN_SHARED_DATA:-$ROOT/../shared/data}"
if [ ! -d "$DATA/pabulib" ]; then
  echo "FAIL: pabulib data not found at $DATA/pabulib (set MEEDOEN_SHARED_DATA)" >&2
  exit 1
fi
VENV="${PB_VENV:-/tmp/meedoen-pb-venv}"
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
"$VENV/bin/python" -c "import pabutools" 2>/dev/null || "$VENV/bin/pip" install -q pabutools
(cd "$ROOT" && cargo build -q --release -p meedoen)
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/meedoen"
exec "$BIN" pb bench "$DATA/pabulib/official" "$DATA/pabulib/amsterdam" "$DATA/pabulib/large" \
  --pabutools-python "$VENV/bin/python" \
  --pabutools-script "$ROOT/scripts/conformance/pb/pabutools_run.py" "$@"
