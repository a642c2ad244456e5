"""Transcript files: valid lines parse; each mistake is reported with its file, line and field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import agentkit as ak
from agentkit.eval.transcripts import load_transcripts

GOOD = {
    "id": "t1",
    "customer_id": "c_0001",
    "started_at": "2026-11-01T12:00:00Z",
    "channel": "chat",
    "tags": ["eta"],
    "turns": [
        {
            "role": "customer",
            "text": "where is my order?",
            "expected": {
                "facts": [{"feature": "order_status.eta_minutes", "entity_key": "o_1"}],
                "documents": ["delivery-delays"],
            },
        },
        {"role": "agent", "text": "About 12 minutes away."},
        {"role": "customer", "text": "thanks", "at": "2026-11-01T12:05:00Z"},
    ],
}


def write(tmp_path: Path, *lines: object) -> Path:
    path = tmp_path / "t.jsonl"
    path.write_text("\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines) + "\n")
    return path


def test_valid_transcripts_parse_with_turn_times(tmp_path: Path) -> None:
    (t,) = load_transcripts(write(tmp_path, GOOD))
    assert t.turns[0].expected is not None and t.turns[0].expected.facts[0].feature == "order_status.eta_minutes"
    assert t.turn_time(0).isoformat() == "2026-11-01T12:00:00+00:00"
    assert t.turn_time(2).isoformat() == "2026-11-01T12:05:00+00:00"
    assert t.customer_questions == ["where is my order?", "thanks"]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "t.jsonl:2: not valid JSON"),
        ({**GOOD, "id": "t2", "started_at": "2026-11-01T12:00:00"}, "t.jsonl:2: field 'started_at'"),
        ({**GOOD, "id": "t2", "turns": [{"role": "bot", "text": "x"}]}, "t.jsonl:2: field 'turns.0.role'"),
        (
            {**GOOD, "id": "t2", "turns": [{"role": "agent", "text": "hi", "expected": dict[str, object]()}]},
            "belongs on a customer turn",
        ),
        ({**GOOD, "id": "t2", "colour": "red"}, "field 'colour'"),
        (GOOD, "transcript id 't1' already used on line 1"),
        (
            {
                **GOOD,
                "id": "t2",
                "turns": [{"role": "customer", "text": "x", "expected": {"facts": [{"feature": "eta"}]}}],
            },
            "turns.0.expected.facts.0.feature",
        ),
    ],
)
def test_each_mistake_names_file_line_and_field(tmp_path: Path, line: object, message: str) -> None:
    with pytest.raises(ak.DataError) as info:
        load_transcripts(write(tmp_path, GOOD, line))
    assert message in info.value.message


def test_lenient_loading_keeps_valid_lines_and_reports_the_others(tmp_path: Path) -> None:
    from agentkit.eval.transcripts import load_transcripts_lenient

    path = write(tmp_path, GOOD, "{not json", {**GOOD, "id": "t2", "colour": "red"}, GOOD, {**GOOD, "id": "t3"})
    good, problems = load_transcripts_lenient(path)
    assert [t.id for t in good] == ["t1", "t3"]
    assert len(problems) == 3
    assert problems[0].startswith(f"{path}:2: not valid JSON")
    assert problems[1].startswith(f"{path}:3: field 'colour'")
    assert problems[2] == f"{path}:4: transcript id 't1' is a duplicate; skipped"
