"""The CLI: the quickstart as a user types it, exit codes, and one-line errors without tracebacks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from agentkit.cli import main

AGENTKIT = [sys.executable, "-m", "agentkit.cli"]


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run(
        [*AGENTKIT, *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=120, check=False
    )


@pytest.fixture(scope="module")
def quickstart(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`agentkit init` then plan, apply, ingest, materialize — as separate processes."""
    root = tmp_path_factory.mktemp("cli")
    assert run(["init", "my-support"], root).returncode == 0
    project = root / "my-support"
    for args in (
        ["plan"],
        ["apply"],
        ["ingest", "order_status", "data/orders.csv"],
        ["ingest", "customer_profile", "data/customers.jsonl"],
        ["materialize"],
    ):
        result = run(args, project)
        assert result.returncode == 0, (args, result.stderr)
    return project


def test_quickstart_features_get_reads_the_live_value(quickstart: Path) -> None:
    result = run(["features", "get", "order_status.eta_minutes", "order_status.status", "--key", "o_1001"], quickstart)
    assert result.returncode == 0, result.stderr
    assert "o_1001" in result.stdout
    assert "picked_up" in result.stdout
    assert "12" in result.stdout


def test_features_get_as_of_replays_history_as_json(quickstart: Path) -> None:
    result = run(
        [
            "features",
            "get",
            "order_status.eta_minutes",
            "order_status.status",
            "--key",
            "o_1001",
            "--as-of",
            "2026-11-01T12:00:00Z",
            "--json",
        ],
        quickstart,
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["rows"][0]["values"] == {"order_status.eta_minutes": 35, "order_status.status": "preparing"}
    assert data["rows"][0]["provenance"][0]["source"] == "offline"


def test_history_status_and_plan_json(quickstart: Path) -> None:
    history = run(["history", "order_status", "--json"], quickstart)
    assert json.loads(history.stdout)[0]["operation"] == "append"
    status = run(["status"], quickstart)
    assert "order_status: 6 rows" in status.stdout
    plan = json.loads(run(["plan", "--json"], quickstart).stdout)
    assert plan["changes"] == []
    assert plan["applied_version"] == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["features", "get", "order_status.stauts", "--key", "o_1"], "did you mean status?"),
        (["features", "get", "order_status.status", "--key", "o_1", "--as-of", "tomorrow"], "not an ISO 8601 time"),
        (
            ["features", "get", "order_status.status", "--key", "o_1", "--as-of", "2999-01-01T00:00:00Z"],
            "in the future",
        ),
        (["ingest", "order_status", "missing.csv"], "no such file"),
        (["ingest", "nope", "data/orders.csv"], "feature view 'nope' not found"),
    ],
)
def test_input_errors_exit_2_with_one_line_and_no_traceback(quickstart: Path, args: list[str], message: str) -> None:
    result = run(args, quickstart)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_destructive_apply_exits_1(tmp_path: Path) -> None:
    runner = CliRunner()
    project = tmp_path / "p"
    assert runner.invoke(main, ["init", str(project)]).exit_code == 0
    config = ["--config", str(project / "agentkit.toml")]
    assert runner.invoke(main, [*config, "apply"]).exit_code == 0
    text = (project / "features.py").read_text()
    (project / "features.py").write_text(text[: text.index("customer_profile = FeatureView(")])
    result = runner.invoke(main, [*config, "apply"])
    assert result.exit_code == 1
    assert "--allow-destructive" in result.output


def test_malformed_config_exits_2_naming_the_file(tmp_path: Path) -> None:
    (tmp_path / "agentkit.toml").write_text('[project]\nname = "x"\nbogus = 1\n')
    result = run(["plan"], tmp_path)
    assert result.returncode == 2
    assert "agentkit.toml" in result.stderr
    assert "project.bogus" in result.stderr


def test_init_refuses_an_existing_project(quickstart: Path) -> None:
    result = run(["init", "."], quickstart)
    assert result.returncode == 2
    assert "already exists" in result.stderr
