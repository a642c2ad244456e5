"""The version is written once (``agentkit/_version.py``); the package metadata, ``agentkit.__version__``
and the MCP server's ``serverInfo`` all report that one."""

from __future__ import annotations

import ast
import tomllib
from importlib.metadata import version
from pathlib import Path

from mcp.types import LATEST_PROTOCOL_VERSION
from starlette.testclient import TestClient

import agentkit as ak
from agentkit.server.app import build_mcp_server
from agentkit.server.tokens import TokenService
from tests.conftest import write_project

ROOT = Path(__file__).parents[1]


def written_version() -> str:
    """The literal in ``agentkit/_version.py``, read the way setuptools reads it (no import)."""
    tree = ast.parse((ROOT / "agentkit" / "_version.py").read_text())
    (value,) = [
        node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        and [t.id for t in node.targets if isinstance(t, ast.Name)] == ["__version__"]
        and isinstance(node.value, ast.Constant)
    ]
    assert isinstance(value, str)
    return value


def test_pyproject_takes_the_version_from_the_package() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" not in pyproject["project"]
    assert "version" in pyproject["project"]["dynamic"]
    assert pyproject["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "agentkit._version.__version__"}


def test_installed_metadata_and_the_package_report_the_written_version() -> None:
    written = written_version()
    assert ak.__version__ == written
    assert version("agentkit-support") == written, "the installed metadata is stale: reinstall with pip install -e"


def test_the_mcp_server_reports_the_written_version(tmp_path: Path) -> None:
    project = ak.Project.load(write_project(tmp_path / "p"))
    token = TokenService(project.config).issue(agent="support_bot", subject="c_0001")
    initialize = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": LATEST_PROTOCOL_VERSION,
            "capabilities": {},
            "clientInfo": {"name": "test", "version": "0"},
        },
    }
    app = build_mcp_server(project).streamable_http_app()
    try:
        with TestClient(app, base_url="http://127.0.0.1:8000") as client:
            response = client.post(
                "/mcp",
                json=initialize,
                headers={"Authorization": f"Bearer {token}", "Accept": "application/json, text/event-stream"},
            )
    finally:
        project.close()
    assert response.status_code == 200, response.text
    assert response.json()["result"]["serverInfo"] == {"name": "agentkit", "version": written_version()}
