"""Eval metrics on hand-made answers: typed matching, contradictions, grounding, refusals, gating."""

from __future__ import annotations

from datetime import UTC, datetime

from agentkit.eval.metrics import FactSpec, grounded_values, is_refusal, match_fact, prf
from agentkit.eval.report import bootstrap_ci, gate
from agentkit.eval.results import EvalRun, FactCheck, TranscriptResult, TurnResult


def eta(value: object, key: str | None = "o_1") -> FactSpec:
    return FactSpec("order_status.eta_minutes", key, value, "int", "minutes")


def test_numbers_with_units_match_typed_not_as_substrings() -> None:
    assert match_fact("It will be there in 12 minutes.", eta(12)).matched
    assert match_fact("About 0.2 hours to go", eta(12)).matched
    assert match_fact("eta: 12 [order_status.eta_minutes]", eta(12)).matched
    assert not match_fact("It will be there in 112 minutes.", eta(12)).matched
    assert not match_fact("It is 12 km away.", eta(12)).matched
    assert not match_fact("Order o_12 is on its way", eta(12, None)).matched


def test_money_as_decimals() -> None:
    spec = FactSpec("refunds.refund_amount", "o_1", "7.50", "money")
    assert match_fact("We refunded $7.50 to your card.", spec).matched
    assert match_fact("Refund of 7.5 USD", spec).matched
    assert not match_fact("We refunded $75.00.", spec).matched


def test_distances_convert_units() -> None:
    spec = FactSpec("courier_location.distance_km", "k_1", 3.2, "float", "km")
    assert match_fact("The courier is 3200 m away", spec).matched
    assert match_fact("3.2 km to go", spec).matched
    assert not match_fact("4.1 km to go", spec).matched


def test_dates_and_times_in_different_formats() -> None:
    day = FactSpec("customer_profile.member_since", "c_1", "2026-11-28", "date")
    for text in ("since Nov 28, 2026", "since 28 November 2026", "since 11/28/2026", "since 2026-11-28"):
        assert match_fact(text, day).matched, text
    assert not match_fact("since Nov 27, 2026", day).matched
    stamp = FactSpec("order_status.promised_at", "o_1", "2026-11-28T20:35:00+00:00", "timestamp")
    assert match_fact("promised for 2026-11-28T20:35:00Z", stamp).matched
    assert match_fact("promised for 8:35 PM (UTC)", stamp).matched
    assert not match_fact("promised for 9:35 PM", stamp).matched


def test_enums_and_strings_case_insensitive() -> None:
    status = FactSpec("order_status.status", "o_1", "picked_up", "enum")
    assert match_fact("Your order was Picked Up a minute ago", status).matched
    assert not match_fact("Your order is being prepared", status).matched
    vehicle = FactSpec("courier_location.vehicle", "k_1", "e_bike", "enum")
    assert match_fact("Ines is on an e-bike", vehicle).matched
    name = FactSpec("courier_location.first_name", "k_1", "Ines", "string")
    assert match_fact("INES is on the way", name).matched
    assert not match_fact("Inessa is on the way", name).matched


def test_a_wrong_number_is_a_contradiction() -> None:
    check = match_fact("Your order arrives in 20 minutes [order_status.eta_minutes]", eta(12))
    assert not check.matched
    assert check.contradicted
    assert check.found == ["20 minutes"]
    plain = match_fact("The ETA is 20 minutes.", eta(12))
    assert plain.contradicted
    # an unrelated number elsewhere is no contradiction
    assert not match_fact("We have 20 restaurants near you.", eta(12)).contradicted
    status = FactSpec("order_status.status", "o_1", "picked_up", "enum")
    assert match_fact("- where the order is: delivered [order_status.status]", status).contradicted


def test_a_correct_value_for_the_wrong_order_does_not_count() -> None:
    answer = "For your order o_2:\n- eta: 12 minutes [order_status.eta_minutes]"
    check = match_fact(answer, eta(12, "o_1"))
    assert not check.matched
    assert not check.contradicted  # it is about another record
    both = "Order o_2: 30 minutes. Order o_1: 12 minutes."
    assert match_fact(both, eta(12, "o_1")).matched
    assert not match_fact(both, eta(30, "o_1")).matched


def test_grounded_value_precision_catches_made_up_numbers() -> None:
    tools = [
        '{"rows": [{"key": "o_1", "values": {"order_status.eta_minutes": 12, "order_status.order_total": "49.40"}}]}'
    ]
    assert grounded_values("Order o_1 arrives in 12 minutes; you paid $49.40.", tools) == (2, 2, [])
    grounded, total, missing = grounded_values("Arrives in 12 minutes, total $55.00, 3 km away", tools)
    assert (grounded, total) == (1, 3)
    assert missing == ["$55.00", "3 km"]
    stamp = ['{"promised_at": "2026-11-28T20:35:00+00:00"}']
    assert grounded_values("due 20:35 on 2026-11-28", stamp) == (2, 2, [])


def test_refusals() -> None:
    assert is_refusal("I can't look that up for you: no order 'o_1' is available to you")
    assert is_refusal("Sorry — I can only look up orders on your own account.")
    assert is_refusal("I'm unable to share that.")
    assert not is_refusal("For your order o_1:\n- eta: 12 minutes")
    assert not is_refusal("No — only one promo code per order; you can't combine two.")


def test_prf_and_bootstrap() -> None:
    assert prf({"a", "b"}, {"a"}) == (0.5, 1.0, 2 / 3)
    assert prf(set(), set()) == (None, None, 1.0)
    assert prf({"a"}, set())[2] == 0.0
    ci = bootstrap_ci([0.5, 0.25, 0.75, 0.5], seed=1)
    assert ci is not None and ci[0] <= 0.5 <= ci[1]
    assert ci == bootstrap_ci([0.5, 0.25, 0.75, 0.5], seed=1)


def _run(*, recall: bool, violation: bool) -> EvalRun:
    fact = FactCheck(
        feature="v.f", entity_key=None, expected=1, source="transcript", dtype="int", matched=recall, contradicted=False
    )
    turn = TurnResult(
        index=0,
        question="q",
        as_of=datetime(2026, 1, 1, tzinfo=UTC),
        answer="a",
        scored=True,
        facts=[fact],
        fact_recall=1.0 if recall else 0.0,
        scope_violations=["tool result: order_status:o_9"] if violation else [],
        refusal_correct=True,
    )
    return EvalRun(
        agent="a",
        baseline="full",
        model_id="m",
        data_version="d",
        k=3,
        transcripts=[TranscriptResult(id="t", customer_id="c", tags=[], content_hash="h", turns=[turn])],
    )


def test_gate_fails_on_scope_violations_always_and_on_thresholds() -> None:
    assert gate(_run(recall=True, violation=False), {"fact_recall": 0.8}) == []
    assert gate(_run(recall=False, violation=False), {"fact_recall": 0.8}) == ["fact_recall = 0.000 < 0.8"]
    failures = gate(_run(recall=True, violation=True), {})
    assert failures == ["scope_violations = 1 > 0"]
    assert gate(_run(recall=True, violation=False), {"nonsense": 1}) == ["unknown metric 'nonsense' in thresholds"]
