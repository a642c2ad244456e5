"""History ingested without ``--available-at`` became available at ingest time, so a read as of an
earlier moment finds nothing. The read says so — a warning naming ``--available-at`` on the result,
on the CLI's stderr and in the eval report — but only on reads the principal is entitled to: the
scoped read's denials stay byte-identical (no existence oracle for other customers' rows)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pytest
from click.testing import CliRunner

import agentkit as ak
from agentkit.agent import PlannerModel
from agentkit.cli import main
from agentkit.eval import report
from agentkit.eval.reporting import assemble
from agentkit.eval.runner import run_eval
from agentkit.eval.transcripts import Transcript
from tests.governance.conftest import make_governed, user

EVENT = "2020-06-01T10:00:00Z"
INGESTED = datetime(2021, 3, 1, 12, 0, tzinfo=UTC)  # the ingest's "now": every row is available from then
REPLAY = datetime(2020, 9, 1, tzinfo=UTC)  # a past moment after the events, before the ingest
LATER = INGESTED + timedelta(days=1)


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> ak.Project:
    """c_1's profile and order ingested without --available-at; c_2's profile backfilled properly."""
    root = tmp_path_factory.mktemp("history")
    project = make_governed(root / "p", policy=_policy())
    profiles = [{"customer_id": "c_1", "event_time": EVENT, "tier": "gold"}]
    project.ingest("customer_profile", pa.Table.from_pylist(profiles), now=INGESTED)
    backfilled = [{"customer_id": "c_2", "event_time": EVENT, "tier": "silver", "_available_at": EVENT}]
    project.ingest("customer_profile", pa.Table.from_pylist(backfilled), now=INGESTED)
    orders = [{"order_id": "o_1", "event_time": EVENT, "customer_id": "c_1", "status": "placed"}]
    project.ingest("order_status", pa.Table.from_pylist(orders), now=INGESTED)
    project.materialize(now=INGESTED)
    return project


def _policy() -> str:
    from tests.governance.conftest import POLICY

    return POLICY + '\n[retrieval]\nembedder = "hashing"\n'


def test_an_unscoped_read_before_availability_warns_and_names_available_at(history: ak.Project) -> None:
    before = history.read_features_unscoped(["customer_profile.tier"], ["c_1", "c_2"], as_of=REPLAY)
    assert [r.key for r in before.rows] == ["c_2"]
    assert before.missing == ("c_1",)
    (warning,) = before.warnings
    assert "customer_profile" in warning
    assert "--available-at" in warning
    assert "1 key(s)" in warning
    after = history.read_features_unscoped(["customer_profile.tier"], ["c_1"], as_of=LATER)
    assert after.rows[0].values == {"customer_profile.tier": "gold"}
    assert after.warnings == ()
    live = history.read_features_unscoped(["customer_profile.tier"], ["c_1"])
    assert live.warnings == ()
    nothing = history.read_features_unscoped(["customer_profile.tier"], ["c_404"], as_of=REPLAY)
    assert nothing.warnings == ()  # a key with no rows at all is just missing


def test_the_scoped_read_warns_its_own_principal_and_never_another(history: ak.Project) -> None:
    # Positive control: the entitled principal is told why their own row is empty.
    own = history.get_features(user("c_1"), ["customer_profile.tier"], as_of=REPLAY)
    assert own.rows == ()
    assert len(own.warnings) == 1 and "--available-at" in own.warnings[0]
    # Another customer's read carries nothing about c_1's rows.
    other = history.get_features(user("c_2"), ["customer_profile.tier"], as_of=REPLAY)
    assert other.rows[0].values == {"customer_profile.tier": "silver"}
    assert other.warnings == ()
    # Denials stay byte-identical: a not-yet-available foreign row is no existence oracle.
    refs = ["order_status.status"]
    for principal in (user("c_2"), user("c_1")):
        with pytest.raises(ak.NotFoundError) as existing:
            history.get_features(principal, refs, entity_key="o_1", as_of=REPLAY)
        with pytest.raises(ak.NotFoundError) as absent:
            history.get_features(principal, refs, entity_key="o_404", as_of=REPLAY)
        assert existing.value.message.replace("o_1", "K") == absent.value.message.replace("o_404", "K")
        assert existing.value.code == absent.value.code == "record_not_found"
    with pytest.raises(ak.NotFoundError) as foreign:
        history.get_features(user("c_2"), ["customer_profile.tier"], entity_key="c_1", as_of=REPLAY)
    with pytest.raises(ak.NotFoundError) as unknown:
        history.get_features(user("c_2"), ["customer_profile.tier"], entity_key="c_404", as_of=REPLAY)
    assert foreign.value.message.replace("c_1", "K") == unknown.value.message.replace("c_404", "K")


def test_features_get_as_of_prints_the_warning_on_stderr(history: ak.Project) -> None:
    config = ["--config", str(history.root / "agentkit.toml")]
    args = ["features", "get", "customer_profile.tier", "--key", "c_1", "--as-of", REPLAY.isoformat()]
    result = CliRunner().invoke(main, [*config, *args, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["warnings"] == list(
        history.read_features_unscoped(["customer_profile.tier"], ["c_1"], as_of=REPLAY).warnings
    )
    assert "warning:" in result.stderr and "--available-at" in result.stderr
    table = CliRunner().invoke(main, [*config, *args])
    assert table.exit_code == 0 and "--available-at" in table.stderr and "--available-at" not in table.stdout
    quiet = CliRunner().invoke(main, [*config, *args[:-1], LATER.isoformat()])
    assert quiet.exit_code == 0 and quiet.stderr == ""


def test_the_eval_report_lists_the_warnings_of_a_replay(history: ak.Project) -> None:
    transcript = Transcript.model_validate(
        {
            "id": "replay-01",
            "customer_id": "c_1",
            "started_at": REPLAY.isoformat(),
            "turns": [{"role": "customer", "text": "what is my loyalty tier?"}],
        }
    )
    run = run_eval(history, [transcript], model_factory=PlannerModel, model_id="planner")
    (case,) = run.transcripts
    assert case.error is None
    (turn,) = case.turns
    assert any("--available-at" in w for w in turn.warnings)
    data = report.to_json(run)
    assert data["summary"]["warnings"] == turn.warnings
    assert data["transcripts"][0]["turns"][0]["warnings"] == turn.warnings
    markdown = report.to_markdown(run)
    assert "not yet available" in markdown and "--available-at" in markdown
    assert any("--available-at" in line for line in assemble(run).summary_lines())
