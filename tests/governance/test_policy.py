"""Policy semantics checked against an independent expectation, and the policy tooling."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

import agentkit as ak
from tests.governance.conftest import POLICY, World, make_governed, user

ROLE_VIEWS = {
    "customer": {"customer_profile", "order_status", "courier_location", "restaurant_status"},
    "vip": {"customer_profile", "order_status", "courier_location", "restaurant_status", "account_risk"},
}
AGENT_VIEWS: dict[str, set[str]] = {
    "support_bot": {"customer_profile", "order_status", "courier_location", "restaurant_status"},
    "faq_bot": set(),
    "refund_bot": set(),
    "risk_bot": {"account_risk"},
    "unknown_bot": set(),
}
AGENT_FEATURES = {"refund_bot": {"order_status.refund_amount", "order_status.status", "customer_profile.email"}}
PII = {"customer_profile.email", "customer_profile.phone"}
PII_CLEAR = {"support_bot": {"customer_profile.email"}}
PII_MASK = {"support_bot": {"customer_profile.phone"}}


def expected(agent: str, role: str, ref: str) -> tuple[bool, bool]:
    """(allowed, masked), written from the documented rules, not from the implementation."""
    view = ref.split(".", maxsplit=1)[0]
    agent_grants = view in AGENT_VIEWS[agent] or ref in AGENT_FEATURES.get(agent, set())
    agent_grants = agent_grants or ref in PII_CLEAR.get(agent, set()) or ref in PII_MASK.get(agent, set())
    role_grants = view in ROLE_VIEWS[role]
    if not (agent_grants and role_grants):
        return False, False
    if ref in PII:
        if ref in PII_CLEAR.get(agent, set()):
            return True, False
        if ref in PII_MASK.get(agent, set()):
            return True, True
        return False, False
    return True, False


def test_every_agent_role_and_feature_matches_the_documented_rules(governed: tuple[ak.Project, World]) -> None:
    project, _ = governed
    policy = project.policy()
    refs = policy.all_refs
    assert len(refs) == 15
    checked = 0
    for agent, role, ref in itertools.product(AGENT_VIEWS, ROLE_VIEWS, refs):
        decision = policy.decide(user("c_0001", agent=agent, roles=(role,)), ref)
        assert (decision.allowed, decision.masked) == expected(agent, role, ref), (agent, role, ref, decision)
        checked += 1
    assert checked == len(AGENT_VIEWS) * len(ROLE_VIEWS) * 15
    # positive control: the matrix is not all-deny
    assert sum(expected(a, r, f)[0] for a, r, f in itertools.product(AGENT_VIEWS, ROLE_VIEWS, refs)) > 20


def test_views_without_any_grant_are_denied_and_tools_are_allow_listed(governed: tuple[ak.Project, World]) -> None:
    project, _ = governed
    policy = project.policy()
    assert policy.tool_allowed("support_bot", "get_features")
    assert policy.tool_allowed("faq_bot", "search_help_center")
    assert not policy.tool_allowed("faq_bot", "get_features")
    assert not policy.tool_allowed("nobody", "search_help_center")
    grants = policy.grants(user("c_1", agent="support_bot"))
    assert "account_risk.fraud_score" not in grants.readable
    assert grants.decisions["account_risk.fraud_score"].reason == "agent_not_granted"


def test_the_applied_policy_is_enforced_not_the_file_on_disk(tmp_path: Path) -> None:
    project = make_governed(tmp_path / "p")
    from tests.governance.conftest import build_world

    world = build_world(project, customers=3)
    me = world.customers[0]
    config = project.root / "agentkit.toml"
    config.write_text(
        config.read_text().replace('views = ["account_risk"]', 'views = ["account_risk", "order_status"]')
    )
    fresh = ak.Project.load(config)
    with pytest.raises(ak.PolicyError):
        fresh.get_features(user(me, agent="risk_bot"), ["order_status.status"])
    plan = fresh.plan()
    gains = [c.detail for c in plan.changes if c.target == "exposure"]
    assert "risk_bot newly gains order_status.status" in gains
    fresh.apply()
    again = ak.Project.load(config)
    assert again.get_features(user(me, agent="risk_bot"), ["order_status.status"]).rows
    project.close()


def test_policy_check_reports_each_problem_with_file_and_key(tmp_path: Path) -> None:
    bad = POLICY + '\n[roles.ghost]\nviews = ["order_status"]\n'
    bad = bad.replace(
        'tools = ["get_features"]\nviews = ["account_risk"]',
        'tools = ["get_features", "drop_tables"]\nviews = ["account_risk", "nope"]',
    )
    bad = bad.replace('features = ["order_status.refund_amount",', 'features = ["order_status.refund_amout",')
    project = make_governed(tmp_path / "p", policy=POLICY)
    (project.root / "agentkit.toml").write_text((project.root / "agentkit.toml").read_text().replace(POLICY, bad))
    problems = ak.Project.load(project.root / "agentkit.toml").check_policy()
    messages = "\n".join(p.message for p in problems)
    assert "agents.risk_bot.tools names unknown tool 'drop_tables'" in messages
    assert "agents.risk_bot.views names unknown view 'nope'" in messages
    assert "agents.refund_bot.features names unknown feature 'order_status.refund_amout'" in messages
    assert "grants PII feature 'customer_profile.email' without an explicit pii/mask grant" in messages
    assert "role 'ghost' is never used" in messages
    assert all(str(project.root / "agentkit.toml") in p.message for p in problems)
    clean = make_governed(tmp_path / "q", policy=POLICY.replace(', "customer_profile.email"]', "]"))
    assert clean.check_policy() == []


def test_explain_lists_features_keys_and_reasons(governed: tuple[ak.Project, World]) -> None:
    project, world = governed
    me = world.customers[3]
    text = project.explain(user(me)).render()
    assert "allow order_status.eta_minutes" in text
    assert "deny  account_risk.fraud_score" in text and "agent_not_granted" in text
    assert "allow customer_profile.phone" in text and "allowed_masked" in text
    for order in world.orders_of(me):
        assert order in text
    assert "every key" in text  # restaurants are public
    assert "unreachable for end users" in text  # accounts have no scope rule
