"""The reports of one eval run, assembled once: the paired comparison, the judge's scores, repeat
statistics, the gate, and report.json / report.md / report.html written from the same values."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from agentkit.eval import report
from agentkit.eval.judge import Verdict
from agentkit.eval.reporting import assemble, planned_regressions
from agentkit.eval.results import EvalRun, FactCheck, TranscriptResult, TurnResult

WHEN = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def make_run(baseline: str, matched: list[bool]) -> EvalRun:
    """One transcript per entry of ``matched``: a scored turn with one fact, matched or not."""
    cases = [
        TranscriptResult(
            id=f"t{i}",
            customer_id="c_0001",
            tags=["eta"],
            content_hash="h",
            turns=[
                TurnResult(
                    index=0,
                    question="where is my order?",
                    as_of=WHEN,
                    answer="12 minutes" if hit else "soon",
                    scored=True,
                    facts=[
                        FactCheck(
                            feature="order_status.eta_minutes",
                            entity_key="o_1",
                            expected=12,
                            source="transcript",
                            dtype="int",
                            matched=hit,
                            contradicted=False,
                        )
                    ],
                    fact_recall=1.0 if hit else 0.0,
                    feature_recall=1.0 if hit else 0.0,
                )
            ],
        )
        for i, hit in enumerate(matched)
    ]
    return EvalRun(
        agent="support_bot" if baseline == "full" else "faq_bot",
        baseline="full" if baseline == "full" else "rag-only",
        model_id="planner",
        data_version="v1",
        k=3,
        transcripts=cases,
    )


class FixedJudge:
    judge_id = "fixed"

    def judge(self, question: str, answer: str, evidence: str) -> Verdict:
        return Verdict(1.0, 0.5, "fixed")


def test_the_three_report_files_carry_the_one_comparison(tmp_path: Path) -> None:
    full, rag = make_run("full", [True, True, False]), make_run("rag-only", [False, False, False])
    result = assemble(full, baseline=rag, thresholds={"fact_recall": 0.5})
    assert result.comparison == report.compare(rag, full)
    result.write(out_dir=tmp_path)
    data = json.loads((tmp_path / "report.json").read_text())
    assert data["comparison"] == json.loads(report.dumps(result.comparison or {}))
    assert data["baseline_run"]["baseline"] == "rag-only" and data["gate_failures"] == []
    markdown = (tmp_path / "report.md").read_text()
    assert markdown.endswith(report.comparison_markdown(report.compare(rag, full)))
    assert 'id="comparison"' in (tmp_path / "report.html").read_text()
    assert result.summary_lines() == [report.comparison_markdown(report.compare(rag, full))]


def test_a_missed_threshold_fails_the_gate_and_the_judge_only_reports(tmp_path: Path) -> None:
    run = make_run("full", [True, False])
    result = assemble(run, thresholds={"fact_recall": 0.9}, judge=FixedJudge(), repeats=[run, run])
    assert result.failures == ["fact_recall = 0.500 < 0.9"]
    assert result.judged is not None and (result.judged.faithfulness, result.judged.helpfulness) == (1.0, 0.5)
    lines = result.summary_lines()
    assert lines[0] == "judge fixed (not gated): faithfulness 1.000, helpfulness 0.500 over 2 turn(s)"
    assert lines[1].startswith("repeat 2: pass^k 0.500") and len(lines) == 2  # no baseline, no comparison
    result.write(json_out=tmp_path / "r.json")
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["judge"] == {"model": "fixed", "faithfulness": 1.0, "helpfulness": 0.5}
    assert "comparison" not in data and not (tmp_path / "report.html").exists()


def test_planned_definitions_that_lose_recall_are_refused() -> None:
    current, planned = make_run("full", [True, True]), make_run("full", [True, False])
    assert planned_regressions(current, planned, {}) == [
        "fact_recall drops from 1.000 to 0.500 with the planned definitions",
        "feature_recall drops from 1.000 to 0.500 with the planned definitions",
    ]
    assert planned_regressions(current, planned, {}, max_drop=0.5) == []
    assert planned_regressions(current, current, {"fact_recall": 1.0}) == []
