"""Every code block in README.md runs: the quickstart commands, the Python snippets, the config.

The checks can fail: the README must keep its blocks (at least ``MIN_PYTHON_SNIPPETS`` Python
snippets, the install / quickstart / demo / test commands), every fenced block must be of a kind a
test here covers, and every Python snippet found must have been executed. The ``*_check_fails``
tests feed the same checks scratch README texts to show it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import agentkit as ak
from agentkit.scaffold import init_project

ROOT = Path(__file__).parents[1]
README = ROOT / "README.md"
MIN_PYTHON_SNIPPETS = 3
COVERED_LANGUAGES = frozenset({"bash", "console", "json", "python", "toml"})  # each has a test below
REQUIRED_BASH = ("pip install", "agentkit init", "agentkit demo", "pytest")


def blocks(lang: str, text: str | None = None) -> list[str]:
    """The bodies of the ```lang fenced blocks of ``text`` (default: the README)."""
    return re.findall(rf"```{lang}\n(.*?)```", README.read_text() if text is None else text, flags=re.S)


def fence_languages(text: str) -> list[str]:
    """The language tag of every fenced block, in order ("" for an untagged block)."""
    languages: list[str] = []
    inside = False
    for line in text.splitlines():
        if line.startswith("```"):
            if not inside:
                languages.append(line[3:].strip())
            inside = not inside
    assert not inside, "a fenced block is never closed"
    return languages


def check_blocks(text: str) -> None:
    """The README keeps its commands and has no block that no test runs."""
    uncovered = [lang or "(untagged)" for lang in fence_languages(text) if lang not in COVERED_LANGUAGES]
    assert uncovered == [], f"blocks no test runs: {uncovered}; tag them as one of {sorted(COVERED_LANGUAGES)}"
    bash = blocks("bash", text)
    missing = [marker for marker in REQUIRED_BASH if not any(marker in block for block in bash)]
    assert missing == [], f"bash blocks missing from the README: {missing}"


def run_python_snippets(text: str) -> int:
    """Execute every Python snippet of ``text`` in order, in one namespace; returns how many ran."""
    snippets = blocks("python", text)
    assert len(snippets) >= MIN_PYTHON_SNIPPETS, (
        f"expected at least {MIN_PYTHON_SNIPPETS} python snippets, found {len(snippets)}"
    )
    namespace: dict[str, object] = {}
    executed = 0
    for code in snippets:
        exec(compile(code, str(README), "exec"), namespace)
        executed += 1
    assert executed == len(snippets) == fence_languages(text).count("python")
    return executed


def test_readme_keeps_its_commands_and_every_block_is_covered() -> None:
    check_blocks(README.read_text())


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
    example = ROOT / "agentkit" / "examples" / "support_bot" / "transcripts.jsonl"
    real = [json.loads(line) for line in example.read_text().splitlines() if line.strip()]
    assert json.loads(block) in real and shown.turns[0].expected is not None


def test_python_snippets_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    init_project(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert run_python_snippets(README.read_text()) >= MIN_PYTHON_SNIPPETS


def test_config_examples_are_valid(tmp_path: Path) -> None:
    (config,) = [b for b in blocks("toml") if "[project]" in b]
    (tmp_path / "agentkit.toml").write_text(config)
    loaded = ak.load_config(tmp_path / "agentkit.toml")
    assert loaded.offline.snapshot_retention.days == 30
    (server,) = [b for b in blocks("toml") if "[server]" in b]
    (tmp_path / "agentkit.toml").write_text(config + server)
    assert ak.load_config(tmp_path / "agentkit.toml").server.keys[0].kid == "2026-11"


# --- the checks can fail (scratch README texts, never a committed violation) ------------------------

SNIPPET = "```python\nvalue = 1\n```\n"


def test_a_readme_without_python_snippets_makes_the_check_fail() -> None:
    with pytest.raises(AssertionError, match="at least 3 python snippets, found 0"):
        run_python_snippets("# agentkit\n\nNo code here.\n")


@pytest.mark.parametrize(
    ("broken", "error"),
    [
        ("```python\nassert value == 2, 'the snippet is stale'\n```\n", AssertionError),
        ("```python\nproject.no_such_method()\n```\n", NameError),
    ],
)
def test_a_broken_python_snippet_makes_the_check_fail(broken: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        run_python_snippets(SNIPPET * MIN_PYTHON_SNIPPETS + broken)


def test_a_block_no_test_runs_or_a_lost_command_makes_the_check_fail() -> None:
    commands = "".join(f"```bash\n{marker} x\n```\n" for marker in REQUIRED_BASH)
    check_blocks(commands + SNIPPET)
    with pytest.raises(AssertionError, match=r"blocks no test runs: \['py'\]"):
        check_blocks(commands + "```py\nprint('never run')\n```\n")
    with pytest.raises(AssertionError, match=r"\(untagged\)"):
        check_blocks(commands + "```\nagentkit serve\n```\n")
    with pytest.raises(AssertionError, match=r"missing from the README: \['agentkit demo'\]"):
        check_blocks(commands.replace("agentkit demo", "agentkit chat"))
