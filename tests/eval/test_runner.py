"""The eval runner on the real example: point-in-time replay as each customer, the rag-only
baseline, no scope violations, refusals, determinism, the cache, and the reports."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import agentkit as ak
from agentkit.agent import PlannerModel
from agentkit.chat import ensure_demo, example_dir
from agentkit.eval.report import compare, comparison_markdown, gate, table, to_json, to_markdown
from agentkit.eval.results import EvalRun
from agentkit.eval.runner import run_eval, score_recorded
from agentkit.eval.transcripts import Transcript, load_transcripts

pytestmark = pytest.mark.slow

SUBSET = (
    "where-is-my-order-01",  # two turns, history, a courier follow-up
    "where-is-my-order-02",
    "late-credit-01",  # refund
    "late-credit-02",
    "policy-only-02",
    "other-customer-01",
    "injection-01",
    "injection-07",
)


class Counter:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> PlannerModel:
        self.calls += 1
        return PlannerModel()


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ak.Project]:
    project = ensure_demo(tmp_path_factory.mktemp("eval-demo"))
    yield project
    project.close()


@pytest.fixture(scope="module")
def transcripts() -> list[Transcript]:
    everything = {t.id: t for t in load_transcripts(example_dir() / "transcripts.jsonl")}
    return [everything[i] for i in SUBSET]


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("eval-cache")


@pytest.fixture(scope="module")
def full(project: ak.Project, transcripts: list[Transcript], cache: Path) -> EvalRun:
    return run_eval(project, transcripts, model_factory=PlannerModel, cache_dir=cache)


@pytest.fixture(scope="module")
def rag(project: ak.Project, transcripts: list[Transcript]) -> EvalRun:
    return run_eval(project, transcripts, model_factory=PlannerModel, baseline="rag-only")


def scores(run: EvalRun) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for t in run.transcripts:
        for turn in t.turns:
            out.append(turn.model_dump(mode="json", exclude={"latency_s"}))
    return out


def test_no_errors_and_no_scope_violations(full: EvalRun, rag: EvalRun) -> None:
    for run in (full, rag):
        assert [t.error for t in run.transcripts if t.error] == []
        assert all(not turn.scope_violations for t in run.transcripts for turn in t.turns)
        assert "scope_violations" not in " ".join(gate(run, {}))


def test_replay_is_point_in_time_as_the_customer(full: EvalRun) -> None:
    first = next(t for t in full.transcripts if t.id == "where-is-my-order-01")
    assert [turn.index for turn in first.turns] == [0, 2]
    assert first.turns[0].as_of.isoformat().startswith("2026-11-28T20:22:42")
    reads = first.turns[0].features_read
    assert reads[0]["key"] == "o_11439"  # that customer's current order at that time, first
    assert first.turns[1].features_read[0]["key"] == "k_016"  # the follow-up reaches its courier


def test_personalization_lift_over_rag_only(full: EvalRun, rag: EvalRun) -> None:
    comparison = compare(rag, full, seed=7)
    recall = comparison["metrics"]["fact_recall"]
    assert recall["b"] > recall["a"]
    assert recall["a"] == 0.0  # the help center does not know this customer's data
    paired = comparison["fact_recall_paired"]
    assert paired["mean_diff"] > 0 and paired["ci95"][0] <= paired["mean_diff"] <= paired["ci95"][1]
    assert comparison == compare(rag, full, seed=7)  # seeded
    assert "fact_recall" in comparison_markdown(comparison)


def test_other_customer_cases_are_refused(full: EvalRun) -> None:
    for t in full.transcripts:
        if "other-customer" in t.tags:
            turn = t.turns[0]
            assert turn.should_refuse and turn.refused, (t.id, turn.answer)
            assert turn.must_not_contain_hits == []
            if "injection" in t.tags:
                assert turn.injection_resisted


def test_same_run_twice_gives_identical_scores(
    project: ak.Project, transcripts: list[Transcript], full: EvalRun
) -> None:
    again = run_eval(project, transcripts[:3], model_factory=PlannerModel)
    assert scores(again) == scores(full.model_copy(update={"transcripts": full.transcripts[:3]}))


def test_cache_makes_a_rerun_instant(
    project: ak.Project, transcripts: list[Transcript], cache: Path, full: EvalRun
) -> None:
    counter = Counter()
    started = time.perf_counter()
    rerun = run_eval(project, transcripts, model_factory=counter, cache_dir=cache, model_id=full.model_id)
    assert time.perf_counter() - started < 2.0
    assert counter.calls == 0
    assert all(t.cached for t in rerun.transcripts)
    assert scores(rerun) == scores(full)
    changed = transcripts[0].model_copy(update={"channel": "email"})
    counter2 = Counter()
    partial = run_eval(
        project, [changed, *transcripts[1:]], model_factory=counter2, cache_dir=cache, model_id=full.model_id
    )
    assert counter2.calls == 1
    assert [t.cached for t in partial.transcripts] == [False] + [True] * (len(transcripts) - 1)


def test_reports(full: EvalRun, rag: EvalRun) -> None:
    data = to_json(full, thresholds={"fact_recall": 0.99})
    assert data["schema_version"] == 1
    assert json.loads(json.dumps(data))["summary"]["overall"]["turns"] == len(full.scored_turns())
    assert "injection" in data["summary"]["by_tag"]
    assert data["gate_failures"] and data["gate_failures"][0].startswith("fact_recall")
    assert EvalRun.model_validate_json(full.model_dump_json()) == full
    md = to_markdown(full)
    assert "| fact_recall |" in md and "Gate: passed" in md
    text = table(full, rag)
    assert "rag-only" in text and "fact_recall" in text


def test_recorded_agent_turns_score_well(project: ak.Project, transcripts: list[Transcript]) -> None:
    recorded = score_recorded(project, transcripts[:2])
    turns = [turn for t in recorded.transcripts for turn in t.turns if turn.scored]
    assert all(t.error is None for t in recorded.transcripts)
    recall = [turn.fact_recall for turn in turns if turn.fact_recall is not None]
    assert recall and sum(recall) / len(recall) >= 0.5


def test_eval_run_cli_writes_reports_and_gates(project: ak.Project, tmp_path: Path) -> None:
    import json

    from click.testing import CliRunner

    from agentkit.cli import main

    transcripts = example_dir() / "transcripts.jsonl"
    config = ["--config", str(project.root / "agentkit.toml")]
    args = [*config, "eval", "run", str(transcripts), "--limit", "3", "--cache", str(tmp_path / "cache")]
    out = CliRunner().invoke(main, [*args, "--json", str(tmp_path / "r.json"), "--markdown", str(tmp_path / "r.md")])
    assert out.exit_code == 0, out.output
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["summary"]["overall"]["scope_violations"] == 0 and "baseline_run" in report and "comparison" in report
    assert "fact_recall" in (tmp_path / "r.md").read_text()
    gated = CliRunner().invoke(main, [*args, "--gate", "fact_recall=1.01", "--judge", "planner"])
    assert gated.exit_code == 1 and "gate failed: fact_recall" in gated.output
    assert "judge planner (not gated)" in gated.output  # the judge reports; it never decides the gate
    bad = CliRunner().invoke(main, [*args, "--gate", "fact_recall"])
    assert bad.exit_code == 2
    same = CliRunner().invoke(main, ["eval", "compare", str(tmp_path / "r.json"), str(tmp_path / "r.json")])
    assert same.exit_code == 0 and "fact_recall" in same.output


CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def test_html_report_renders_charts_and_opens_a_case_in_chromium(full: EvalRun, rag: EvalRun, tmp_path: Path) -> None:
    import shutil
    import subprocess

    from agentkit.eval import report
    from agentkit.eval.html import to_html
    from tests.conftest import REQUIRE_SERVICES

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        message = "Chromium is not installed (apt-get install chromium); .ci/run installs it"
        if REQUIRE_SERVICES:
            pytest.fail(message)
        pytest.skip(message)
    page = tmp_path / "report.html"
    page.write_text(to_html(full, rag, dict(report.compare(rag, full))))
    case = full.transcripts[0].id
    profile = tmp_path / "profile"
    dom = subprocess.run(
        [
            chromium,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={profile}",
            "--virtual-time-budget=2000",
            "--dump-dom",
            f"file://{page}#case={case}",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert dom.stdout.count('class="bar"') >= 10  # bars for each metric and system rendered
    assert f'data-id="{case}" open=""' in dom.stdout  # the drill-down opened from the link
    shot = tmp_path / "report.png"
    subprocess.run(
        [
            chromium,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={profile}",
            f"--screenshot={shot}",
            "--window-size=1100,900",
            f"file://{page}",
        ],
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert shot.exists() and shot.stat().st_size > 10_000


def test_repeat_stats_measure_pass_k_and_flips(full: EvalRun) -> None:
    from agentkit.eval.report import repeat_stats

    stats = repeat_stats([full, full, full])
    assert stats["k"] == 3 and stats["flip_rate"] == 0.0  # the planner is deterministic
    assert stats["pass_k"] == stats["pass_1"]
    flipped = full.model_copy(
        update={"transcripts": [t.model_copy(update={"error": "boom"}) for t in full.transcripts]}
    )
    mixed = repeat_stats([full, flipped])
    assert mixed["pass_k"] == 0.0
    assert mixed["flip_rate"] == stats["pass_1"]  # every case that passed once now flips


def test_concurrent_replay_scores_the_same(project: ak.Project, transcripts: list[Transcript], full: EvalRun) -> None:
    parallel = run_eval(project, transcripts, model_factory=PlannerModel, concurrency=3)
    assert scores(parallel) == scores(full)


def test_plan_and_apply_refuse_a_change_that_makes_the_eval_regress(project: ak.Project) -> None:
    from click.testing import CliRunner

    from agentkit.cli import main

    config = project.root / "agentkit.toml"
    transcripts = str(example_dir() / "transcripts.jsonl")
    original = config.read_text()
    try:
        narrowed = original.replace(
            'views = ["customer_profile", "order_status", "courier_location", "restaurant_status", "refunds"]\npii',
            'views = ["customer_profile", "courier_location", "restaurant_status", "refunds"]\npii',
        )
        assert narrowed != original
        config.write_text(narrowed)
        args = ["--config", str(config)]
        planned = CliRunner().invoke(main, [*args, "plan", "--eval", transcripts, "--eval-limit", "3"])
        assert planned.exit_code == 1 and "feature_recall drops" in planned.output
        refused = CliRunner().invoke(main, [*args, "apply", "--eval", transcripts, "--eval-limit", "3"])
        assert refused.exit_code == 1 and "apply refused" in refused.output
        assert ak.Project.load(config).applied().version == project.applied().version  # nothing applied
        config.write_text(original)
        same = CliRunner().invoke(main, [*args, "plan", "--eval", transcripts, "--eval-limit", "3"])
        assert same.exit_code == 0, same.output  # positive control: no change, no regression
    finally:
        config.write_text(original)
