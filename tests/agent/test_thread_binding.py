"""A checkpointed thread belongs to the principal of its first run. Reusing a ``thread_id`` for
another customer is refused before the run reads or writes the thread — the model never sees the
first customer's messages, the stream yields none of them, and the first customer's thread is left
as it was — with the in-memory and the SQLite checkpointers, sync and async. Positive controls in
each test: the owner continues the thread and sees its history; the other customer gets a thread
of their own."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, cast

import pytest
from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from langchain_core.outputs import ChatResult
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver
from langgraph.pregel import Pregel
from pydantic import Field

import agentkit as ak
from agentkit.agent import Agent, AgentInput, AgentOutput, RunContext, build_agent
from agentkit.agent.threads import principal_fingerprint
from agentkit.chat import Session
from agentkit.server.tokens import TokenService
from tests.agent.conftest import call
from tests.governance.conftest import World

REFS = ["order_status.customer_id", "order_status.eta_minutes"]
SHARED: RunnableConfig = {"configurable": {"thread_id": "shared-thread"}}


class RecordingModel(GenericFakeChatModel):
    """Emits the scripted messages in order; records the text of every message it was shown."""

    seen: list[list[str]] = Field(default_factory=list[list[str]])

    def bind_tools(self, tools: Sequence[object], **kwargs: Any) -> RecordingModel:
        return self

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        self.seen.append([m.text for m in messages])
        return super()._generate(messages, stop, run_manager, **kwargs)


def recording(*messages: AIMessage) -> RecordingModel:
    return RecordingModel(messages=iter(messages))


def ctx(subject: str, agent: str = "support_bot", tenant: str | None = None) -> RunContext:
    return RunContext(principal=ak.Principal(agent=agent, subject=subject, tenant=tenant))


def ask(text: str) -> AgentInput:
    return {"messages": [HumanMessage(text)]}


def texts(out: AgentOutput) -> list[str]:
    return [m.text for m in out["messages"]]


def thread(name: str) -> RunnableConfig:
    return {"configurable": {"thread_id": name}}


def script() -> RecordingModel:
    """The owner's first turn reads their orders; then one answer per later turn."""
    return recording(
        call("get_features", {"features": REFS}),
        AIMessage(content="Your orders are on their way."),
        AIMessage(content="You're welcome."),
        AIMessage(content="Hello, how can I help?"),
    )


@pytest.fixture(params=["memory", "sqlite"])
def saver(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BaseCheckpointSaver[str]]:
    if request.param == "memory":
        yield InMemorySaver()
        return
    connection = sqlite3.connect(tmp_path / "threads.sqlite", check_same_thread=False)
    yield SqliteSaver(connection)
    connection.close()


@pytest.fixture(params=["memory", "sqlite"])
async def async_saver(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[BaseCheckpointSaver[str]]:
    if request.param == "memory":
        yield InMemorySaver()
        return
    async with AsyncSqliteSaver.from_conn_string(str(tmp_path / "threads.sqlite")) as sqlite_saver:
        yield sqlite_saver


def owner_turn(agent: Agent, world: World, owner: str) -> list[str]:
    """The owner's first turn on the shared thread; returns their order ids, now in its history."""
    out = agent.invoke(ask("where are my orders?"), SHARED, context=ctx(owner))
    history = " ".join(texts(out))
    mine = [order for order in sorted(world.orders_of(owner)) if order in history]
    assert mine  # the thread holds the owner's order ids (their newest, up to max_rows)
    return mine


def test_a_thread_reused_for_another_customer_is_refused_and_shows_them_nothing(
    world: tuple[ak.Project, World], saver: BaseCheckpointSaver[str]
) -> None:
    project, w = world
    owner, other = w.customers[0], w.customers[1]
    model = script()
    agent = build_agent(model, project=project, checkpointer=saver)
    mine = owner_turn(agent, w, owner)
    calls = len(model.seen)

    with pytest.raises(ak.PolicyError) as refused:
        agent.invoke(ask("what did I order last week?"), SHARED, context=ctx(other))
    assert refused.value.code == "thread_principal_mismatch"
    assert "new thread_id" in refused.value.message
    assert owner not in refused.value.message and not any(o in refused.value.message for o in mine)
    chunks: list[object] = []
    with pytest.raises(ak.PolicyError):
        chunks.extend(agent.stream(ask("and now?"), SHARED, context=ctx(other), stream_mode="values"))
    assert chunks == []  # refused before the first chunk: the thread's state is never streamed
    assert len(model.seen) == calls  # the model never ran for the other customer

    # Positive control: the owner continues, sees their own history, and nothing of the refused runs.
    out = agent.invoke(ask("thanks"), SHARED, context=ctx(owner))
    assert texts(out)[-1] == "You're welcome."
    shown = " ".join(model.seen[-1])
    assert "where are my orders?" in shown and all(o in shown for o in mine)
    assert "what did I order last week?" not in shown and "and now?" not in shown
    # Positive control: the other customer on a thread of their own is served, with none of it.
    out = agent.invoke(ask("hi"), thread(f"{other}-1"), context=ctx(other))
    assert texts(out) == ["hi", "Hello, how can I help?"]
    assert not any(o in " ".join(model.seen[-1]) for o in mine)


async def test_the_async_runs_refuse_the_same_way(
    world: tuple[ak.Project, World], async_saver: BaseCheckpointSaver[str]
) -> None:
    project, w = world
    owner, other = w.customers[2], w.customers[3]
    model = script()
    agent = build_agent(model, project=project, checkpointer=async_saver)
    out = await agent.ainvoke(ask("where are my orders?"), SHARED, context=ctx(owner))
    mine = [o for o in sorted(w.orders_of(owner)) if o in " ".join(texts(out))]
    assert mine
    calls = len(model.seen)

    with pytest.raises(ak.PolicyError) as refused:
        await agent.ainvoke(ask("what did I order last week?"), SHARED, context=ctx(other))
    assert refused.value.code == "thread_principal_mismatch"
    chunks: list[object] = []

    async def stream() -> None:
        async for chunk in agent.astream(ask("and now?"), SHARED, context=ctx(other), stream_mode="values"):
            chunks.append(chunk)

    with pytest.raises(ak.PolicyError):
        await stream()
    assert chunks == [] and len(model.seen) == calls

    out = await agent.ainvoke(ask("thanks"), SHARED, context=ctx(owner))
    shown = " ".join(model.seen[-1])
    assert texts(out)[-1] == "You're welcome." and all(o in shown for o in mine)
    assert "what did I order last week?" not in shown and "and now?" not in shown
    out = await agent.ainvoke(ask("hi"), thread(f"{other}-1"), context=ctx(other))
    assert texts(out) == ["hi", "Hello, how can I help?"]


def test_the_graph_itself_refuses_a_run_that_skipped_the_first_check(world: tuple[ak.Project, World]) -> None:
    # The check inside the graph is the backstop for a run that raced the one before it starts:
    # LangGraph's own stream, called past agentkit's, still refuses before the model runs.
    project, w = world
    owner, other = w.customers[7], w.customers[8]
    model = script()
    agent = build_agent(model, project=project, checkpointer=InMemorySaver())
    owner_turn(agent, w, owner)
    calls = len(model.seen)
    langgraph_stream = cast("Callable[..., Iterator[object]]", Pregel.__dict__["stream"])  # past agentkit's check
    with pytest.raises(ak.PolicyError) as refused:
        list(langgraph_stream(agent, ask("hi"), SHARED, context=ctx(other), stream_mode="updates"))
    assert refused.value.code == "thread_principal_mismatch" and len(model.seen) == calls
    assert texts(agent.invoke(ask("thanks"), SHARED, context=ctx(owner)))[-1] == "You're welcome."


def test_a_thread_follows_the_verified_user_not_the_token(world: tuple[ak.Project, World]) -> None:
    project, w = world
    owner, other = w.customers[4], w.customers[5]
    tokens = TokenService(project.config)
    model = script()
    agent = build_agent(model, project=project, checkpointer=InMemorySaver())
    first = RunContext(token=tokens.issue(agent="support_bot", subject=owner))
    agent.invoke(ask("where are my orders?"), SHARED, context=first)
    # A rotated token of the same user continues the thread (positive control).
    rotated = RunContext(token=tokens.issue(agent="support_bot", subject=owner, roles=("vip",)))
    assert rotated.token != first.token
    assert texts(agent.invoke(ask("thanks"), SHARED, context=rotated))[-1] == "You're welcome."
    refusals: list[str] = []
    for context in (
        RunContext(token=tokens.issue(agent="support_bot", subject=other)),  # another user
        RunContext(token=tokens.issue(agent="support_bot", subject=owner, tenant="globex")),  # another tenant
        RunContext(token=tokens.issue(agent="refund_bot", subject=owner)),  # another agent
        RunContext(token=(first.token or "") + "x", principal=ctx(owner).principal),  # a forged token
        RunContext(principal=None),  # nobody
    ):
        with pytest.raises(ak.AgentkitError) as refused:
            agent.invoke(ask("show me"), SHARED, context=context)
        refusals.append(refused.value.code)
    assert refusals == [
        "thread_principal_mismatch",
        "thread_principal_mismatch",
        "thread_principal_mismatch",
        "thread_principal_unverified",
        "no_run_context",
    ]


def test_over_http_a_token_alone_cannot_say_whose_thread_it_is() -> None:
    # Nothing is sent: the run is refused before any tool call (the port is never connected to).
    agent = build_agent(
        recording(AIMessage(content="hello")), mcp_url="http://127.0.0.1:9", checkpointer=InMemorySaver()
    )
    with pytest.raises(ak.PolicyError) as refused:
        agent.invoke(ask("hi"), SHARED, context=RunContext(token="a.b.c"))
    assert refused.value.code == "thread_principal_unknown"
    assert "principal=" in refused.value.message
    named = RunContext(token="a.b.c", principal=ak.Principal(agent="support_bot", subject="c_0001"))
    assert texts(agent.invoke(ask("hi"), SHARED, context=named)) == ["hi", "hello"]  # positive control


def test_the_fingerprint_is_the_user_tenant_and_agent_and_not_the_roles() -> None:
    base = ak.Principal(agent="support_bot", subject="c_0001", tenant="acme")
    same = ak.Principal(agent="support_bot", subject="c_0001", tenant="acme", roles=("vip",))
    assert principal_fingerprint(base) == principal_fingerprint(same)
    others = [
        ak.Principal(agent="support_bot", subject="c_0002", tenant="acme"),
        ak.Principal(agent="support_bot", subject="c_0001", tenant="globex"),
        ak.Principal(agent="support_bot", subject="c_0001"),
        ak.Principal(agent="refund_bot", subject="c_0001", tenant="acme"),
    ]
    prints = {principal_fingerprint(p) for p in [base, *others]}
    assert len(prints) == 5 and "c_0001" not in "".join(prints)


def test_a_chat_session_keeps_its_own_thread(world: tuple[ak.Project, World]) -> None:
    project, w = world
    session = Session(project, script(), user=w.customers[6])
    assert "on their way" in session.ask("where are my orders?").answer
    assert session.ask("thanks").answer == "You're welcome."
