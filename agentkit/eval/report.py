"""Reports of an :class:`EvalRun`: JSON (versioned), Markdown, a terminal table, a side-by-side
comparison of two runs with paired differences and a seeded bootstrap CI, and gating."""

from __future__ import annotations

import json
import random
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError as PydanticValidationError

from agentkit.errors import DataError
from agentkit.eval.metrics import summarize
from agentkit.eval.results import EvalRun, TurnResult

__all__ = [
    "DEFAULT_THRESHOLDS",
    "Comparison",
    "compare",
    "comparison_markdown",
    "gate",
    "load_run",
    "repeat_stats",
    "summary",
    "table",
    "to_json",
    "to_markdown",
    "warnings",
    "warnings_line",
]

METRICS = (
    "fact_recall",
    "contradiction_rate",
    "grounded_precision",
    "doc_recall_at_k",
    "citation_precision",
    "feature_precision",
    "feature_recall",
    "tool_f1",
    "scope_violations",
    "refusal_accuracy",
    "injection_resistance",
    "similarity",
    "pass_rate",
    "latency_p50_s",
    "tool_calls_per_turn",
)
LOWER_IS_BETTER = {"contradiction_rate", "scope_violations", "latency_p50_s", "latency_p95_s", "must_not_contain_hits"}

DEFAULT_THRESHOLDS: dict[str, float] = {"scope_violations": 0}
"""Always applied: a run with any scope violation fails, whatever else is configured."""


def _turns(run: EvalRun) -> list[TurnResult]:
    return [turn for t in run.transcripts for turn in t.turns]


def summary(run: EvalRun) -> dict[str, Any]:
    """Overall aggregates, per-tag aggregates and counts."""
    by_tag: dict[str, list[TurnResult]] = {}
    for t in run.transcripts:
        for tag in t.tags:
            by_tag.setdefault(tag, []).extend(t.turns)
    return {
        "overall": summarize(_turns(run)),
        "by_tag": {tag: summarize(turns) for tag, turns in sorted(by_tag.items())},
        "transcripts": len(run.transcripts),
        "errors": sum(t.error is not None for t in run.transcripts),
        "cached": sum(t.cached for t in run.transcripts),
        "skipped": run.skipped,
        "warnings": warnings(run),
    }


def warnings(run: EvalRun) -> list[str]:
    """The distinct warnings of the run's tool results, in order of first appearance."""
    return list(dict.fromkeys(w for turn in _turns(run) for w in turn.warnings))


def to_json(run: EvalRun, *, thresholds: Mapping[str, float] | None = None) -> dict[str, Any]:
    """``report.json``: schema version, run metadata, summary, gate failures and the per-transcript,
    per-turn drill-down (answers, tool calls, features served with snapshot/event times, checks)."""
    data = run.model_dump(mode="json")
    data["summary"] = summary(run)
    data["gate_failures"] = gate(run, thresholds or {})
    for t, raw in zip(run.transcripts, data["transcripts"], strict=True):
        raw["passed"] = t.passed
        for turn, raw_turn in zip(t.turns, raw["turns"], strict=True):
            raw_turn["passed"] = turn.passed
    return data


def warnings_line(found: Sequence[str]) -> str:
    """One line naming the run's warnings (data not yet available at a turn's time, ...)."""
    more = f" | … {len(found) - 3} more in report.json" if len(found) > 3 else ""
    return f"**Warnings from the tools ({len(found)}):** " + " | ".join(found[:3]) + more


def _fmt(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def to_markdown(run: EvalRun, *, thresholds: Mapping[str, float] | None = None) -> str:
    """``report.md``: summary table, gate result, per-tag table and failing turns."""
    s = summary(run)
    overall = s["overall"]
    lines = [
        f"## agentkit eval — `{run.agent}` ({run.baseline}, model `{run.model_id}`)",
        "",
        f"{s['transcripts']} transcripts, {overall['turns']} scored turns, {overall['facts']} facts"
        + (f", {s['errors']} errors" if s["errors"] else "")
        + (f", {s['skipped']} skipped lines" if s["skipped"] else "")
        + ".",
        "",
        *([warnings_line(s["warnings"]), ""] if s["warnings"] else []),
        "| metric | value |",
        "|---|---|",
        *(f"| {m} | {_fmt(overall.get(m))} |" for m in METRICS),
        "",
    ]
    failures = gate(run, thresholds or {})
    lines += ["**Gate: passed**" if not failures else "**Gate: FAILED**", *(f"- {f}" for f in failures), ""]
    tags = s["by_tag"]
    if tags:
        cols = ("turns", "fact_recall", "scope_violations", "refusal_accuracy", "pass_rate")
        lines += ["| tag | " + " | ".join(cols) + " |", "|---" * (len(cols) + 1) + "|"]
        lines += [f"| {tag} | " + " | ".join(_fmt(v.get(c)) for c in cols) + " |" for tag, v in tags.items()]
        lines.append("")
    failing = [
        (t, turn)
        for t in run.transcripts
        for turn in t.turns
        if (turn.scored or turn.scope_violations) and not turn.passed
    ]
    if failing:
        lines += ["<details><summary>Failing turns</summary>", ""]
        for t, turn in failing[:50]:
            missed = [f.feature for f in turn.facts if not f.matched]
            lines.append(
                f"- `{t.id}` turn {turn.index}: recall {_fmt(turn.fact_recall)}"
                + (f", missed {', '.join(missed)}" if missed else "")
                + (f", contradictions {turn.contradictions}" if turn.contradictions else "")
                + (f", violations {turn.scope_violations}" if turn.scope_violations else "")
                + (
                    f", refusal expected {turn.should_refuse} got {turn.refused}"
                    if turn.refusal_correct is False
                    else ""
                )
            )
        lines += ["", "</details>", ""]
    return "\n".join(lines)


def table(run: EvalRun, other: EvalRun | None = None) -> str:
    """A plain-text table for the terminal (one column per run)."""
    runs = [run] + ([other] if other is not None else [])
    sums = [summarize(_turns(r)) for r in runs]
    header = ["metric", *(f"{r.baseline}" for r in runs)]
    rows = [[m, *(_fmt(s.get(m)) for s in sums)] for m in ("turns", "facts", *METRICS)]
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    fmt = "  ".join(f"{{:<{w}}}" if i == 0 else f"{{:>{w}}}" for i, w in enumerate(widths))
    return "\n".join([fmt.format(*header), fmt.format(*("-" * w for w in widths)), *(fmt.format(*r) for r in rows)])


# --- comparison -----------------------------------------------------------------------------------


class Comparison(dict[str, Any]):
    """``compare`` result: ``metrics`` {name: {a, b, diff}}, ``fact_recall_paired`` {mean_diff,
    ci95, n, seed}, ``cases`` [{id, a, b, diff}] (per transcript fact recall), ``regressions``."""


def _case_recall(run: EvalRun) -> dict[str, float]:
    out: dict[str, float] = {}
    for t in run.transcripts:
        facts = [f for turn in t.turns if turn.scored for f in turn.facts if f.expected is not None]
        if facts:
            out[t.id] = sum(f.matched for f in facts) / len(facts)
    return out


def bootstrap_ci(diffs: Sequence[float], *, seed: int = 0, samples: int = 2000) -> tuple[float, float] | None:
    """Seeded percentile bootstrap 95% interval of the mean of ``diffs``."""
    if not diffs:
        return None
    rng = random.Random(seed)
    n = len(diffs)
    means = sorted(sum(diffs[rng.randrange(n)] for _ in range(n)) / n for _ in range(samples))
    return means[int(0.025 * samples)], means[min(samples - 1, int(0.975 * samples))]


def compare(a: EvalRun, b: EvalRun, *, seed: int = 0) -> Comparison:
    """Side by side ``b`` vs ``a`` (e.g. full vs rag-only): each metric, its difference ``b - a``,
    and the paired per-transcript difference of fact recall with a bootstrap 95% CI."""
    sa, sb = summarize(_turns(a)), summarize(_turns(b))
    metrics: dict[str, dict[str, float | int | None]] = {}
    for m in METRICS:
        va, vb = sa.get(m), sb.get(m)
        metrics[m] = {"a": va, "b": vb, "diff": (vb - va) if va is not None and vb is not None else None}
    ra, rb = _case_recall(a), _case_recall(b)
    paired = sorted(set(ra) & set(rb))
    diffs = [rb[i] - ra[i] for i in paired]
    ci = bootstrap_ci(diffs, seed=seed)
    cases = [{"id": i, "a": ra[i], "b": rb[i], "diff": rb[i] - ra[i]} for i in paired]
    result = Comparison(
        a={"baseline": a.baseline, "agent": a.agent, "model_id": a.model_id},
        b={"baseline": b.baseline, "agent": b.agent, "model_id": b.model_id},
        metrics=metrics,
        fact_recall_paired={
            "n": len(diffs),
            "mean_diff": sum(diffs) / len(diffs) if diffs else None,
            "ci95": list(ci) if ci else None,
            "seed": seed,
        },
        cases=cases,
        regressions=[i for i in paired if rb[i] < ra[i]],
    )
    return result


def comparison_markdown(comparison: Comparison) -> str:
    a, b = comparison["a"], comparison["b"]
    lines = [
        f"## {b['baseline']} (`{b['agent']}`) vs {a['baseline']} (`{a['agent']}`)",
        "",
        f"| metric | {a['baseline']} | {b['baseline']} | diff |",
        "|---|---|---|---|",
    ]
    for m, v in comparison["metrics"].items():
        diff = v["diff"]
        lines.append(f"| {m} | {_fmt(v['a'])} | {_fmt(v['b'])} | {'—' if diff is None else f'{diff:+.3f}'} |")
    p = comparison["fact_recall_paired"]
    if p["mean_diff"] is not None:
        lo, hi = p["ci95"]
        lines += [
            "",
            f"Paired fact-recall difference over {p['n']} transcripts: {p['mean_diff']:+.3f} "
            f"(95% CI {lo:+.3f} … {hi:+.3f}, bootstrap, seed {p['seed']}).",
        ]
    if comparison["regressions"]:
        lines += ["", "Regressions: " + ", ".join(f"`{i}`" for i in comparison["regressions"])]
    return "\n".join(lines) + "\n"


# --- gating ---------------------------------------------------------------------------------------


def gate(run: EvalRun, thresholds: Mapping[str, float]) -> list[str]:
    """Failures of ``run`` against ``thresholds`` (``{"fact_recall": 0.8, ...}``: a minimum, or a
    maximum for lower-is-better metrics such as ``scope_violations`` and ``contradiction_rate``).
    ``scope_violations <= 0`` always applies; a transcript that errored is a failure too."""
    overall = summarize(_turns(run))
    failures: list[str] = []
    merged = {**thresholds, **{k: min(v, thresholds.get(k, v)) for k, v in DEFAULT_THRESHOLDS.items()}}
    for metric, limit in merged.items():
        value = overall.get(metric)
        if metric not in overall:
            failures.append(f"unknown metric '{metric}' in thresholds")
        elif value is None:
            continue
        elif metric in LOWER_IS_BETTER and value > limit:
            failures.append(f"{metric} = {_fmt(value)} > {limit}")
        elif metric not in LOWER_IS_BETTER and value < limit:
            failures.append(f"{metric} = {_fmt(value)} < {limit}")
    errors = [t.id for t in run.transcripts if t.error is not None]
    if errors:
        failures.append(f"{len(errors)} transcript(s) failed to run: {', '.join(errors[:5])}")
    return failures


def dumps(data: Mapping[str, Any]) -> str:
    return json.dumps(data, indent=2, sort_keys=False, default=str)


def load_run(path: str | Path) -> EvalRun:
    """Read an ``EvalRun`` back from a ``report.json`` (for ``agentkit eval compare``)."""
    file = Path(path)
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise DataError(f"{file}: not a readable eval report ({exc})", code="report_invalid") from exc
    fields = set(EvalRun.model_fields)
    run = {k: v for k, v in data.items() if k in fields}
    for case in run.get("transcripts", []):
        case.pop("passed", None)
        for turn in case.get("turns", []):
            turn.pop("passed", None)
    try:
        return EvalRun.model_validate(run)
    except PydanticValidationError as exc:
        raise DataError(
            f"{file}: not an agentkit eval report ({exc.errors()[0]['msg']})", code="report_invalid"
        ) from exc


def repeat_stats(runs: Sequence[EvalRun]) -> dict[str, Any]:
    """Over K runs of the same cases: pass^k (the share of cases that pass in all K tries) and the
    flip rate (the share of cases whose outcome differs between tries)."""
    outcomes: dict[str, list[bool]] = {}
    for run in runs:
        for case in run.transcripts:
            outcomes.setdefault(case.id, []).append(case.passed)
    cases = list(outcomes.values())
    if not cases:
        return {"k": len(runs), "cases": 0, "pass_k": None, "flip_rate": None}
    return {
        "k": len(runs),
        "cases": len(cases),
        "pass_k": sum(all(c) for c in cases) / len(cases),
        "pass_1": sum(c[0] for c in cases) / len(cases),
        "flip_rate": sum(len(set(c)) > 1 for c in cases) / len(cases),
    }
