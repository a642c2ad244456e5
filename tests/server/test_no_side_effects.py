"""Building the MCP server is library code: it leaves the application's logging alone.

Runs in a fresh interpreter, so the root logger starts untouched (pytest installs its own handlers
in this process) and nothing imported earlier by other tests hides an import-time side effect.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.conftest import write_project

PROBE = textwrap.dedent(
    """
    import json, logging, sys

    def state():
        root = logging.getLogger()
        return {
            "level": root.level,
            "handlers": [type(h).__name__ for h in root.handlers],
            "filters": len(root.filters),
            "disable": logging.root.manager.disable,
        }

    logging.getLogger().setLevel(logging.DEBUG)  # an application's choice, with no handler yet
    before = state()
    import agentkit as ak
    from agentkit.server.app import build_mcp_server

    project = ak.Project.load(sys.argv[1])
    server = build_mcp_server(project)
    after = state()
    project.close()
    print(json.dumps({"before": before, "after": after, "server": type(server).__name__}))
    """
)


def test_building_the_mcp_server_leaves_the_root_logger_untouched(tmp_path: Path) -> None:
    config = write_project(tmp_path / "p")
    result = subprocess.run(
        [sys.executable, "-c", PROBE, str(config)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["server"] == "AgentkitMCP"
    assert report["after"] == report["before"], result.stderr
