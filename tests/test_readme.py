"""Every code block in README.md runs: the quickstart commands, the Python snippet, the config."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import agentkit as ak
from agentkit.scaffold import init_project

README = Path(__file__).parents[1] / "README.md"


def blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", README.read_text(), flags=re.S)


def test_quickstart_commands_run_in_a_shell(tmp_path: Path) -> None:
    quickstart = next(b for b in blocks("bash") if "agentkit init" in b)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", quickstart],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert '"order_status.status": "preparing"' in result.stdout


def test_demo_command_runs(tmp_path: Path) -> None:
    (command,) = [b for b in blocks("bash") if "agentkit demo" in b]
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "XDG_CACHE_HOME": str(tmp_path),
    }
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", command],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stderr
    assert "[order_status." in result.stdout and "sources:" in result.stdout
    # The evaluation snippet runs in the project the demo just built.
    (evaluation,) = [b for b in blocks("console") if "agentkit eval run" in b]
    script = evaluation.replace("~/.cache", str(tmp_path)).replace("--limit 20", "--limit 4")
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script.replace("--gate fact_recall=0.3", "")],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "agentkit" / "demo" / "report.json").exists()


def test_console_commands_parse_and_token_issue_runs(tmp_path: Path) -> None:
    """Long-running commands (servers) are checked for valid options; the others run for real."""
    import shlex

    from click.testing import CliRunner

    from agentkit.cli import main

    init_project(tmp_path)
    runner = CliRunner()
    lines = [line.split("#", 1)[0].strip() for block in blocks("console") for line in block.splitlines()]
    commands = [shlex.split(line)[1:] for line in lines if line.startswith("agentkit ") and " eval " not in line]
    assert commands
    for args in commands:
        config = ["--config", str(tmp_path / "agentkit.toml")]
        if args[0] == "serve":
            result = runner.invoke(main, [*config, *args, "--help"])
        else:
            runner.invoke(main, [*config, "apply"])
            result = runner.invoke(main, [*config, *args])
        assert result.exit_code == 0, (args, result.output)


def test_transcript_example_is_a_real_valid_case() -> None:
    import json

    from agentkit.eval.transcripts import Transcript

    (block,) = blocks("json")
    shown = Transcript.model_validate_json(block)
    example = Path(__file__).parents[1] / "examples" / "support_bot" / "transcripts.jsonl"
    real = [json.loads(line) for line in example.read_text().splitlines() if line.strip()]
    assert json.loads(block) in real and shown.turns[0].expected is not None


def test_python_snippets_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    init_project(tmp_path)
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {}
    for code in blocks("python"):
        exec(compile(code, str(README), "exec"), namespace)


def test_config_examples_are_valid(tmp_path: Path) -> None:
    (config,) = [b for b in blocks("toml") if "[project]" in b]
    (tmp_path / "agentkit.toml").write_text(config)
    loaded = ak.load_config(tmp_path / "agentkit.toml")
    assert loaded.offline.snapshot_retention.days == 30
    (server,) = [b for b in blocks("toml") if "[server]" in b]
    (tmp_path / "agentkit.toml").write_text(config + server)
    assert ak.load_config(tmp_path / "agentkit.toml").server.keys[0].kid == "2026-11"
