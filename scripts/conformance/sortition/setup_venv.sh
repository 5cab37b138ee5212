#!/usr/bin/env bash
# Creates (once) the /tmp venv with the Python oracle: sortition-algorithms + HiGHS.
set -euo pipefail
VENV="${SORTITION_VENV:-/tmp/meedoen-sortition-venv}"
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c "import sortition_algorithms, highspy" 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet sortition-algorithms highspy
fi
echo "$VENV"
