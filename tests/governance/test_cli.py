"""Governance from the command line: scoped reads, policy explain/check, audit query."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import agentkit as ak
from agentkit.cli import main
from tests.governance.conftest import POLICY, World, build_world, make_governed


@pytest.fixture(scope="module")
def cli_project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, World]:
    project = make_governed(tmp_path_factory.mktemp("cli"))
    world = build_world(project, customers=5)
    project.close()
    return project.root / "agentkit.toml", world


def invoke(config: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["--config", str(config), *args])
    return result.exit_code, result.output


def test_features_get_as_a_user_goes_through_the_scoped_path(cli_project: tuple[Path, World]) -> None:
    config, world = cli_project
    me = world.customers[0]
    code, out = invoke(
        config, "features", "get", "order_status.eta_minutes", "--user", me, "--agent", "support_bot", "--json"
    )
    assert code == 0, out
    keys = {r["key"] for r in json.loads(out)["rows"]}
    assert keys and keys <= world.orders_of(me)
    other = next(o for o, c in world.orders.items() if c != me)
    code, out = invoke(
        config, "features", "get", "order_status.eta_minutes", "--key", other, "--user", me, "--agent", "support_bot"
    )
    assert code == 2 and f"no order '{other}' is available to you" in out
    code, out = invoke(config, "features", "get", "order_status.eta_minutes", "--user", me)
    assert code == 2 and "--user and --agent go together" in out


def test_policy_explain_and_check(cli_project: tuple[Path, World]) -> None:
    config, world = cli_project
    code, out = invoke(config, "policy", "explain", "--agent", "support_bot", "--user", world.customers[1])
    assert code == 0 and "allow order_status.eta_minutes" in out and "tools: get_features" in out
    code, out = invoke(config, "policy", "check")
    assert code == 1  # the test policy grants refund_bot a PII feature without a pii/mask grant
    assert "customer_profile.email" in out and "problem(s)" in out


def test_policy_check_passes_on_a_clean_policy(tmp_path: Path) -> None:
    project = make_governed(tmp_path / "p", policy=POLICY.replace(', "customer_profile.email"]', "]"))
    code, out = invoke(project.root / "agentkit.toml", "policy", "check")
    assert (code, out.strip()) == (0, "policy OK")


def test_audit_query_and_commit(cli_project: tuple[Path, World]) -> None:
    config, world = cli_project
    invoke(config, "features", "get", "customer_profile.tier", "--user", world.customers[2], "--agent", "support_bot")
    code, out = invoke(config, "audit", "query", "SELECT count(*) AS n FROM audit WHERE surface = 'cli'", "--json")
    assert code == 0 and json.loads(out)[0]["n"] >= 1
    code, out = invoke(config, "audit", "commit")
    assert code == 0 and "committed" in out
    code, out = invoke(config, "audit", "query", "SELEC nonsense")
    assert code == 2 and "audit query failed" in out


def test_apply_refuses_a_scope_that_points_nowhere(tmp_path: Path) -> None:
    project = make_governed(tmp_path / "p")
    features = project.root / "features.py"
    features.write_text(
        features.read_text().replace(
            'Scope.owned_by("order_status", "customer_id")', 'Scope.owned_by("order_status", "buyer_id")'
        )
    )
    with pytest.raises(ak.DefinitionError, match=r"scope column 'order_status\.buyer_id' is not a feature"):
        ak.Project.load(project.root / "agentkit.toml").apply()
