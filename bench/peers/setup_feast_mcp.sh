#!/usr/bin/env bash
# Create the venv for Feast's own MCP feature server (feature_server type "mcp"), used by
# bench/bench_mcp.py (idempotent). fastapi-mcp 0.4.0 is built against mcp 1.x, so this venv is
# separate from the plain Feast peer venv. Never installs torch.
# Venv: ${AGENTKIT_FEAST_MCP_VENV:-/tmp/agentkit-feast-mcp-venv}.
set -euo pipefail
VENV="${AGENTKIT_FEAST_MCP_VENV:-/tmp/agentkit-feast-mcp-venv}"
PY="${PYTHON:-python3}"
CHECK="import feast, fastapi_mcp, mcp, pyarrow, pandas; assert feast.__version__ == '0.67.0'"
if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c "$CHECK" 2>/dev/null; then
  echo "feast-mcp venv ready: $VENV"
  exit 0
fi
"$PY" -m venv "$VENV"
"$VENV/bin/pip" install -q --upgrade pip
"$VENV/bin/pip" install -q "feast==0.67.0" "fastapi-mcp==0.4.0" "mcp<2" pyarrow pandas httpx
if "$VENV/bin/python" -c "import importlib.util,sys; sys.exit(0 if importlib.util.find_spec('torch') else 1)"; then
  echo "error: torch ended up in $VENV; remove it" >&2
  exit 1
fi
"$VENV/bin/python" -c "$CHECK"
"$VENV/bin/python" -c "import importlib.metadata as m; print({p: m.version(p) for p in ('feast', 'fastapi-mcp', 'mcp')}, 'in $VENV')"
