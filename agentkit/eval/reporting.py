"""The reports of one ``agentkit eval run``, assembled once: the paired comparison with the
baseline run, the optional judge's scores, repeat statistics, the gate, and the files
(``report.json``, ``report.md``, ``report.html``).

The CLI replays and prints; everything it writes comes from :func:`assemble`::

    result = assemble(full, baseline=rag_only, thresholds={"fact_recall": 0.8})
    result.write(out_dir=Path("eval-out"))
    result.failures  # gate failures: exit 1 when any

:func:`planned_regressions` is the gate of ``agentkit plan/apply --eval``: the planned definitions
against the applied ones on the same transcripts.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agentkit.eval import report
from agentkit.eval.html import to_html
from agentkit.eval.judge import Judge
from agentkit.eval.results import EvalRun

__all__ = ["JudgeScores", "RunReport", "assemble", "judge_run", "planned_regressions"]


@dataclass(frozen=True, slots=True)
class JudgeScores:
    """Mean verdicts of the optional LLM judge over the scored turns (reported, never gated)."""

    model: str
    faithfulness: float
    helpfulness: float
    turns: int


def judge_run(run: EvalRun, judge: Judge) -> JudgeScores | None:
    """Ask ``judge`` about every scored turn of ``run`` (evidence: the features the agent read);
    ``None`` when there is no scored turn."""
    verdicts = [
        judge.judge(turn.question, turn.answer, json.dumps(turn.features_read, default=str)[:6000])
        for case in run.transcripts
        for turn in case.turns
        if turn.scored
    ]
    if not verdicts:
        return None
    return JudgeScores(
        model=judge.judge_id,
        faithfulness=sum(v.faithfulness for v in verdicts) / len(verdicts),
        helpfulness=sum(v.helpfulness for v in verdicts) / len(verdicts),
        turns=len(verdicts),
    )


@dataclass(frozen=True, slots=True)
class RunReport:
    """One run (``run``), its baseline and their comparison (``baseline`` vs ``run``), the judge's
    scores, repeat statistics and the gate failures. Build it with :func:`assemble`."""

    run: EvalRun
    baseline: EvalRun | None
    comparison: report.Comparison | None
    thresholds: Mapping[str, float]
    failures: list[str]
    judged: JudgeScores | None = None
    repeat: dict[str, Any] | None = None

    def summary_lines(self) -> list[str]:
        """What the CLI prints after the metrics table: judge scores, repeat statistics, comparison."""
        lines: list[str] = []
        found = report.warnings(self.run)
        if found:
            lines.append(report.warnings_line(found))
        if self.judged is not None:
            j = self.judged
            lines.append(
                f"judge {j.model} (not gated): faithfulness {j.faithfulness:.3f}, "
                f"helpfulness {j.helpfulness:.3f} over {j.turns} turn(s)"
            )
        if self.repeat is not None:
            stats = self.repeat
            lines.append(
                f"repeat {stats['k']}: pass^k {stats['pass_k']:.3f}, pass@1 {stats['pass_1']:.3f}, "
                f"flip rate {stats['flip_rate']:.3f} over {stats['cases']} case(s)"
            )
        if self.comparison is not None:
            lines.append(report.comparison_markdown(self.comparison))
        return lines

    def to_json(self) -> dict[str, Any]:
        """``report.json``: the run's report, the judge's scores, the baseline run and the comparison."""
        data = report.to_json(self.run, thresholds=self.thresholds)
        if self.judged is not None:
            j = self.judged
            data["judge"] = {"model": j.model, "faithfulness": j.faithfulness, "helpfulness": j.helpfulness}
        if self.baseline is not None and self.comparison is not None:
            data["baseline_run"] = report.to_json(self.baseline)
            data["comparison"] = dict(self.comparison)
        return data

    def to_markdown(self) -> str:
        """``report.md``: the run's report, then the comparison."""
        text = report.to_markdown(self.run, thresholds=self.thresholds)
        if self.comparison is not None:
            text += "\n\n" + report.comparison_markdown(self.comparison)
        return text

    def to_html(self) -> str:
        """``report.html``: charts of both runs, the paired difference and the drill-down."""
        return to_html(self.run, self.baseline, self.comparison)

    def write(self, *, out_dir: Path | None = None, json_out: Path | None = None, md_out: Path | None = None) -> None:
        """``out_dir``: ``report.html``, and ``report.json``/``report.md`` unless ``json_out``/``md_out``
        name other files; each of ``json_out`` and ``md_out`` alone writes just that file."""
        if out_dir is not None:
            out_dir.mkdir(parents=True, exist_ok=True)
            json_out = json_out or out_dir / "report.json"
            md_out = md_out or out_dir / "report.md"
            (out_dir / "report.html").write_text(self.to_html())
        if json_out is not None:
            json_out.write_text(report.dumps(self.to_json()))
        if md_out is not None:
            md_out.write_text(self.to_markdown())


def assemble(
    run: EvalRun,
    *,
    baseline: EvalRun | None = None,
    thresholds: Mapping[str, float] | None = None,
    judge: Judge | None = None,
    repeats: Sequence[EvalRun] = (),
) -> RunReport:
    """The reports of ``run``: compared once with ``baseline`` (paired, bootstrap CI), judged by
    ``judge`` when given, repeat statistics over ``repeats`` (the same cases run K times, ``run``
    first) when there are two or more, and gated by ``thresholds`` (``scope_violations = 0``
    always applies)."""
    limits = dict(thresholds or {})
    return RunReport(
        run=run,
        baseline=baseline,
        comparison=report.compare(baseline, run) if baseline is not None else None,
        thresholds=limits,
        failures=report.gate(run, limits),
        judged=judge_run(run, judge) if judge is not None else None,
        repeat=report.repeat_stats(repeats) if len(repeats) > 1 else None,
    )


def planned_regressions(
    current: EvalRun, planned: EvalRun, thresholds: Mapping[str, float], *, max_drop: float = 0.0
) -> list[str]:
    """Why the planned definitions may not be applied: ``planned`` misses a threshold, or its fact
    or feature recall drops by more than ``max_drop`` from ``current`` (the applied definitions)."""
    failures = report.gate(planned, dict(thresholds))
    old, new = report.summary(current)["overall"], report.summary(planned)["overall"]
    for metric in ("fact_recall", "feature_recall"):
        before, after = old.get(metric) or 0.0, new.get(metric) or 0.0
        if after < before - max_drop:
            failures.append(f"{metric} drops from {before:.3f} to {after:.3f} with the planned definitions")
    return failures
