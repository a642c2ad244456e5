"""Framework overhead per tool hop (issue #6: target under 5 ms), excluding model and embedding time.

A scripted model (no LLM) makes one `get_features` call per turn; the same read done directly with
`Project.get_features` is subtracted. Also a turn with no tool call (the graph's own floor).
Writes bench/results/agent.json.

    .venv/bin/python bench/bench_agent.py [--turns 200]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, HumanMessage
from provenance import RESULTS, write_result  # pyright: ignore[reportMissingImports]

import agentkit as ak
from agentkit.agent import RunContext, build_agent

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.governance.conftest import build_world, make_governed
from tests.server.conftest import SERVER_POLICY

REFS = ["order_status.customer_id", "order_status.eta_minutes"]


class OneHop(GenericFakeChatModel):
    """Per turn: one get_features call, then a final answer (decided from the messages, so one
    compiled agent serves every turn)."""

    def bind_tools(self, tools, **kwargs):  # type: ignore[no-untyped-def, override]
        return self

    def _generate(self, messages, stop=None, run_manager=None, **kwargs):  # type: ignore[no-untyped-def, override]
        from langchain_core.outputs import ChatGeneration, ChatResult

        if isinstance(messages[-1], HumanMessage):
            msg = AIMessage(
                content="",
                tool_calls=[{"name": "get_features", "args": {"features": REFS}, "id": "1", "type": "tool_call"}],
            )
        else:
            msg = AIMessage(content="done")
        return ChatResult(generations=[ChatGeneration(message=msg)])

    async def _agenerate(self, messages, stop=None, run_manager=None, **kwargs):  # type: ignore[no-untyped-def, override]
        return self._generate(messages)  # no executor hop: the model costs ~nothing here


class NoHop(OneHop):
    def _generate(self, messages, stop=None, run_manager=None, **kwargs):  # type: ignore[no-untyped-def, override]
        from langchain_core.outputs import ChatGeneration, ChatResult

        return ChatResult(generations=[ChatGeneration(message=AIMessage(content="done"))])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--turns", type=int, default=200)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench_agent_"))
    project = make_governed(root / "p", policy=SERVER_POLICY)
    world = build_world(project, customers=20)
    customer = world.customers[0]
    principal = ak.Principal(agent="support_bot", subject=customer)
    context = RunContext(principal=principal)

    hop_agent = build_agent(OneHop(messages=iter([])), project=project)
    bare_agent = build_agent(NoHop(messages=iter([])), project=project)

    def hop_turn() -> None:
        hop_agent.invoke({"messages": [HumanMessage("eta?")]}, context=context)

    def bare_turn() -> None:
        bare_agent.invoke({"messages": [HumanMessage("hi")]}, context=context)

    def direct_read() -> None:
        project.get_features(principal, REFS)

    async def ahop_turn() -> None:
        await hop_agent.ainvoke({"messages": [HumanMessage("eta?")]}, context=context)

    async def abare_turn() -> None:
        await bare_agent.ainvoke({"messages": [HumanMessage("hi")]}, context=context)

    import asyncio

    loop = asyncio.new_event_loop()
    names = (
        "turn_with_one_hop",
        "turn_without_tools",
        "async_turn_with_one_hop",
        "async_turn_without_tools",
        "direct_read",
    )
    samples: dict[str, list[float]] = {n: [] for n in names}
    fns = (
        hop_turn,
        bare_turn,
        lambda: loop.run_until_complete(ahop_turn()),
        lambda: loop.run_until_complete(abare_turn()),
        direct_read,
    )
    for _ in range(5):
        for fn in fns:
            fn()
    for _ in range(args.turns):
        for name, fn in zip(names, fns, strict=True):
            t = time.perf_counter_ns()
            fn()
            samples[name].append((time.perf_counter_ns() - t) / 1e6)
    p50 = {k: statistics.median(v) for k, v in samples.items()}
    result = {
        "p50_ms": {k: round(v, 3) for k, v in p50.items()},
        "tool_hop_overhead_ms": round(p50["turn_with_one_hop"] - p50["turn_without_tools"] - p50["direct_read"], 3),
        "async_tool_hop_overhead_ms": round(
            p50["async_turn_with_one_hop"] - p50["async_turn_without_tools"] - p50["direct_read"], 3
        ),
        "note": "one compiled agent per model; in-memory MCP transport (a session per tool call)",
        "target": "tool hop overhead < 5 ms",
    }
    result["pass"] = result["async_tool_hop_overhead_ms"] < 5
    out = write_result(RESULTS / "agent.json", result)
    print(json.dumps(result, indent=2))
    print(f"wrote {out}")
    project.close()


if __name__ == "__main__":
    main()
