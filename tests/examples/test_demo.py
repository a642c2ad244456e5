"""The Dashly bot end to end, offline: `agentkit demo --once` for several customers, answers that
follow the data (a pushed ETA changes one customer's answer and nobody else's)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

import agentkit as ak
from agentkit.agent import PlannerModel
from agentkit.chat import Session, ensure_demo

pytestmark = pytest.mark.slow
QUESTION = "how many minutes until my order arrives?"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, ak.Project]]:
    target = tmp_path_factory.mktemp("demo")
    project = ensure_demo(target)
    yield target, project
    project.close()


def own_orders(project: ak.Project, customer: str) -> set[str]:
    rows = project.get_features(ak.Principal(agent="support_bot", subject=customer), ["order_status.status"])
    return {r.key for r in rows.rows}


def test_demo_once_answers_each_customer_from_their_own_data(demo: tuple[Path, ak.Project]) -> None:
    target, project = demo
    answers: dict[str, str] = {}
    for customer in ("c_0001", "c_0002", "c_0003"):
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "agentkit.cli",
                "demo",
                "--dir",
                str(target),
                "--user",
                customer,
                "--once",
                QUESTION,
                "--json",
            ],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        reply = json.loads(result.stdout)
        features = reply["trace"]["features"]
        assert features, reply
        order_keys = {f["key"] for f in features if f["ref"].startswith(("order_status.", "refunds."))}
        assert order_keys <= own_orders(project, customer)
        assert {f["key"] for f in features if f["ref"].startswith("customer_profile.")} <= {customer}
        assert reply["trace"]["documents_cited"]  # a help-center passage, cited by id
        assert "[order_status." in reply["answer"]
        answers[customer] = reply["answer"]
    assert len(set(answers.values())) == 3


def test_a_pushed_eta_changes_that_customers_answer_only(demo: tuple[Path, ak.Project]) -> None:
    _, project = demo
    alice, bob = "c_0004", "c_0005"
    bob_before = Session(project, PlannerModel(), user=bob).ask(QUESTION).answer
    first = Session(project, PlannerModel(), user=alice).ask(QUESTION)
    latest = first.trace.features[0].key
    project.push(
        "order_status",
        [
            {
                "order_id": latest,
                "event_time": datetime.now(UTC).isoformat(),
                "customer_id": alice,
                "status": "picked_up",
                "eta_minutes": 17,
            }
        ],
    )
    after = Session(project, PlannerModel(), user=alice).ask(QUESTION)
    assert "17 minutes [order_status.eta_minutes]" in after.answer
    assert after.answer != first.answer
    assert Session(project, PlannerModel(), user=bob).ask(QUESTION).answer == bob_before


def test_another_customers_order_is_refused_in_the_demo(demo: tuple[Path, ak.Project]) -> None:
    _, project = demo
    theirs = sorted(own_orders(project, "c_0007"))[0]
    reply = Session(project, PlannerModel(), user="c_0006").ask(f"where is order {theirs}?")
    assert "can't look that up" in reply.answer
    assert not reply.trace.features
