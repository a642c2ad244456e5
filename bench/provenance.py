"""Where a benchmark number came from: every result file in ``bench/results/`` carries it.

``write_result(path, result)`` writes the JSON with a ``provenance`` block first: when (UTC), on
what machine (platform, CPU model, cores, Python), from which commit (and whether the tree had
uncommitted changes), and which agentkit version. A number without these cannot be compared.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"


def _git(*args: str) -> str | None:
    try:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip()


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def provenance() -> dict[str, Any]:
    """Date, machine and commit of this run."""
    from agentkit import __version__

    status = _git("status", "--porcelain", "--untracked-files=no")
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "git_commit": _git("rev-parse", "HEAD"),
        "git_dirty": None if status is None else bool(status),
        "agentkit": __version__,
        "machine": {
            "platform": platform.platform(),
            "cpu": _cpu_model(),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
        },
    }


def write_result(path: Path, result: dict[str, Any]) -> Path:
    """Write ``result`` as JSON to ``path``, with the provenance block first."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"provenance": provenance(), **result}, indent=2, default=str) + "\n")
    return path
