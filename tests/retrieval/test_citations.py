"""One citation pattern: the agent's trace and the eval's metrics find the same citations."""

from __future__ import annotations

import json

from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

from agentkit.agent.trace import trace_of
from agentkit.eval.matching import strip_markup
from agentkit.retrieval.citations import citations

ANSWER = "Refunds take 5 days [Refund-Policy]; your order arrives in 12 minutes [order_status.eta_minutes]."


def test_the_trace_and_the_metrics_agree_on_an_upper_case_citation_id() -> None:
    messages = [
        HumanMessage("when is my refund?"),
        AIMessage("", tool_calls=[{"id": "1", "name": "search_help_center", "args": {"query": "refund"}}]),
        ToolMessage(json.dumps([{"document_id": "Refund-Policy"}]), tool_call_id="1", name="search_help_center"),
        AIMessage(ANSWER),
    ]
    trace = trace_of(messages)
    assert trace.documents_seen == ["Refund-Policy"]
    assert trace.documents_cited == ["Refund-Policy"]  # the trace counts the upper-case id ...
    blanked = strip_markup(ANSWER)
    assert "Refund-Policy" not in blanked and "[" not in blanked  # ... and the metrics blank it out
    assert len(blanked) == len(ANSWER)
    assert citations(ANSWER) == ["Refund-Policy", "order_status.eta_minutes"]


def test_brackets_that_are_not_ids_are_not_citations() -> None:
    assert citations("see [ the policy ] or [-x] or [] but [faq_1]") == ["faq_1"]
    assert strip_markup("[ the policy ]") == "[ the policy ]"
