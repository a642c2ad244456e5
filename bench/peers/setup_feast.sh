#!/usr/bin/env bash
# Create the Feast peer venv used by bench/peers/feast_worker.py (idempotent).
# Venv: ${AGENTKIT_FEAST_VENV:-/tmp/agentkit-feast-venv}. Never installs torch.
set -euo pipefail
VENV="${AGENTKIT_FEAST_VENV:-/tmp/agentkit-feast-venv}"
PY="${PYTHON:-python3}"
if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c "import feast, pyarrow, pandas; assert feast.__version__ == '0.67.0'" 2>/dev/null; then
  echo "feast venv ready: $VENV"
  exit 0
fi
"$PY" -m venv "$VENV"
"$VENV/bin/pip" install -q --upgrade pip
"$VENV/bin/pip" install -q "feast==0.67.0" pyarrow pandas
if "$VENV/bin/python" -c "import importlib.util,sys; sys.exit(0 if importlib.util.find_spec('torch') else 1)"; then
  echo "error: torch ended up in $VENV; remove it" >&2
  exit 1
fi
"$VENV/bin/python" -c "import feast; print('feast', feast.__version__, 'installed in $VENV')"
