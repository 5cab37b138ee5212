#!/usr/bin/env bash
# Conformance of `meedoen pb tally` against pabutools (separate process, GPL oracle) on the
# pabulib data in $MEEDOEN_SHARED_DATA (default ../shared/data from the repository root).
#   scripts/conformance/pb/run.sh [--skip-large-pabutools] [--rules greedy,mes,mes-add1]
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
exec "$VENV/bin/python" "$ROOT/scripts/conformance/pb/run.py" "$BIN" "$DATA" "$@"
