"""`agentkit init` writes a project file that parses, whatever the project's name holds."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

import agentkit as ak
from agentkit.cli import main
from agentkit.scaffold import init_project

NAMES = [
    'we"ird',
    "back\\slash",
    "two\nlines",
    "tab\there",
    "café ☕ 名前",
    'quote \' and """ triple',
    "ctrl \x01 \x7f del",
    "trailing\\",
]


@pytest.mark.parametrize("name", NAMES)
def test_the_written_project_file_parses_and_the_name_round_trips(tmp_path: Path, name: str) -> None:
    init_project(tmp_path / "p", name=name)
    text = (tmp_path / "p" / "agentkit.toml").read_text(encoding="utf-8")
    assert tomllib.loads(text)["project"]["name"] == name
    assert ak.Project.load(tmp_path / "p").config.project.name == name


def test_init_with_an_odd_folder_name_makes_a_project_that_loads(tmp_path: Path) -> None:
    folder = tmp_path / 'we"ird'
    result = CliRunner().invoke(main, ["init", str(folder)])
    assert result.exit_code == 0, result.output
    assert ak.Project.load(folder).config.project.name == 'we"ird'


def test_a_name_that_is_not_valid_text_is_refused_in_one_line(tmp_path: Path) -> None:
    with pytest.raises(ak.ConfigError) as info:
        init_project(tmp_path / "p", name="bad \udcff byte")
    assert info.value.code == "init_name_invalid"
    assert not (tmp_path / "p" / "agentkit.toml").exists()
