"""The typed face of the LangGraph agent: what ``build_agent`` returns, and the one call into
``create_agent``.

LangGraph types a compiled graph's ``invoke``/``stream`` input with a bare ``Command`` (so strict
checking sees ``Command[Unknown]`` at every call) and its output as ``dict[str, Any]``; LangChain's
``create_agent`` takes a bare ``BaseCheckpointSaver``. Both are narrowed here, once: :class:`Agent`
declares the calls agentkit supports with the state they return (:class:`AgentOutput`). The object
is LangGraph's compiled graph; cast it to ``CompiledStateGraph`` for anything not listed here.
With a checkpointer it is a :class:`ThreadBoundGraph`, which checks the thread's principal before
every run (:mod:`agentkit.agent.threads`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from typing import Any, Literal, Protocol, TypedDict, cast, overload

from langchain.agents import create_agent  # pyright: ignore[reportUnknownVariableType]  # its checkpointer parameter is a bare BaseCheckpointSaver
from langchain.agents.middleware import ModelCallLimitMiddleware
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage
from langchain_core.runnables import RunnableConfig
from langchain_core.tools import BaseTool
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import Command, StateSnapshot, StreamMode

from agentkit.agent.threads import THREAD_PRINCIPAL, ThreadBinding
from agentkit.tools.context import RunContext

__all__ = ["Agent", "AgentInput", "AgentOutput", "ThreadBoundGraph", "compile_agent"]


class AgentInput(TypedDict):
    """A turn's input: the new messages (LangChain messages, or ``{"role": ..., "content": ...}``)."""

    messages: Sequence[BaseMessage | Mapping[str, object]]


class AgentOutput(TypedDict):
    """The state after a turn: the whole conversation, the answer last."""

    messages: list[BaseMessage]


class Agent(Protocol):
    """The compiled LangGraph agent returned by ``build_agent``, as far as agentkit types it."""

    def invoke(
        self,
        input: AgentInput | Command[Any] | None,
        config: RunnableConfig | None = None,
        *,
        context: RunContext | None = None,
    ) -> AgentOutput: ...

    async def ainvoke(
        self,
        input: AgentInput | Command[Any] | None,
        config: RunnableConfig | None = None,
        *,
        context: RunContext | None = None,
    ) -> AgentOutput: ...

    @overload
    def stream(
        self,
        input: AgentInput | Command[Any] | None,
        config: RunnableConfig | None = None,
        *,
        context: RunContext | None = None,
        stream_mode: Literal["values"] = "values",
    ) -> Iterator[AgentOutput]: ...
    @overload
    def stream(
        self,
        input: AgentInput | Command[Any] | None,
        config: RunnableConfig | None = None,
        *,
        context: RunContext | None = None,
        stream_mode: Literal["updates"],
    ) -> Iterator[dict[str, object]]: ...
    @overload
    def stream(
        self,
        input: AgentInput | Command[Any] | None,
        config: RunnableConfig | None = None,
        *,
        context: RunContext | None = None,
        stream_mode: Literal["messages"],
    ) -> Iterator[tuple[BaseMessage, dict[str, object]]]: ...
    @overload
    def stream(
        self,
        input: AgentInput | Command[Any] | None,
        config: RunnableConfig | None = None,
        *,
        context: RunContext | None = None,
        stream_mode: StreamMode | Sequence[StreamMode],
    ) -> Iterator[object]: ...

    @overload
    def astream(
        self,
        input: AgentInput | Command[Any] | None,
        config: RunnableConfig | None = None,
        *,
        context: RunContext | None = None,
        stream_mode: Literal["values"] = "values",
    ) -> AsyncIterator[AgentOutput]: ...
    @overload
    def astream(
        self,
        input: AgentInput | Command[Any] | None,
        config: RunnableConfig | None = None,
        *,
        context: RunContext | None = None,
        stream_mode: Literal["updates"],
    ) -> AsyncIterator[dict[str, object]]: ...
    @overload
    def astream(
        self,
        input: AgentInput | Command[Any] | None,
        config: RunnableConfig | None = None,
        *,
        context: RunContext | None = None,
        stream_mode: Literal["messages"],
    ) -> AsyncIterator[tuple[BaseMessage, dict[str, object]]]: ...
    @overload
    def astream(
        self,
        input: AgentInput | Command[Any] | None,
        config: RunnableConfig | None = None,
        *,
        context: RunContext | None = None,
        stream_mode: StreamMode | Sequence[StreamMode],
    ) -> AsyncIterator[object]: ...

    def get_state(self, config: RunnableConfig) -> StateSnapshot: ...

    async def aget_state(self, config: RunnableConfig) -> StateSnapshot: ...


class ThreadBoundGraph(CompiledStateGraph[Any, RunContext, Any, Any]):
    """LangGraph's compiled agent graph, checking the thread's principal before every run.

    ``invoke``/``batch`` run through :meth:`stream` and ``ainvoke``/``astream_events`` through
    :meth:`astream`, so every way of running the graph is checked; ``with_config`` and ``copy``
    keep the check (they rebuild this class from the same attributes).
    """

    def __init__(self, *, thread_binding: ThreadBinding, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.thread_binding = thread_binding

    @classmethod
    def of(cls, graph: CompiledStateGraph[Any, RunContext, Any, Any], binding: ThreadBinding) -> ThreadBoundGraph:
        """``graph`` with the check (built from the attributes ``graph.copy()`` carries over)."""
        return cls(thread_binding=binding, **{k: v for k, v in graph.__dict__.items() if k != "__orig_class__"})

    @staticmethod
    def _thread(config: RunnableConfig | None) -> RunnableConfig | None:
        """``config`` if it names a thread (a run without one fails in LangGraph itself)."""
        return config if "thread_id" in ((config or {}).get("configurable") or {}) else None

    def stream(  # pyright: ignore[reportIncompatibleMethodOverride]  # the same call; its options pass through
        self,
        input: Any,
        config: RunnableConfig | None = None,
        *,
        context: RunContext | None = None,
        **kwargs: Any,
    ) -> Iterator[Any]:
        thread = self._thread(config)
        if thread is not None:
            self.thread_binding.check(self.get_state(thread).values.get(THREAD_PRINCIPAL), context, thread)
        return super().stream(input, config, context=context, **kwargs)  # pyright: ignore[reportUnknownMemberType]  # Command[Unknown] in LangGraph's signature

    async def astream(  # pyright: ignore[reportIncompatibleMethodOverride]  # the same call; its options pass through
        self,
        input: Any,
        config: RunnableConfig | None = None,
        *,
        context: RunContext | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[Any]:
        thread = self._thread(config)
        if thread is not None:
            snapshot = await self.aget_state(thread)
            self.thread_binding.check(snapshot.values.get(THREAD_PRINCIPAL), context, thread)
        async for chunk in super().astream(input, config, context=context, **kwargs):  # pyright: ignore[reportUnknownMemberType]  # Command[Unknown] in LangGraph's signature
            yield chunk


def compile_agent(
    model: BaseChatModel,
    tools: Sequence[BaseTool],
    *,
    system_prompt: str,
    checkpointer: BaseCheckpointSaver[str] | None,
    max_steps: int,
    name: str,
    binding: ThreadBinding | None = None,
) -> Agent:
    """``create_agent`` with a model-call budget of ``max_steps`` per turn (ending, not raising);
    with ``binding``, each thread bound to the principal of its first run."""
    middleware: list[Any] = [ModelCallLimitMiddleware(run_limit=max_steps, exit_behavior="end")]
    if binding is not None:
        middleware.insert(0, binding)
    graph = create_agent(
        model,
        tools,
        system_prompt=system_prompt,
        context_schema=RunContext,
        checkpointer=checkpointer,
        middleware=middleware,
        name=name,
    )
    if binding is not None:
        graph = ThreadBoundGraph.of(graph, binding)
    # LangGraph declares the output as dict[str, Any]; the agent's state holds its messages, which
    # the add_messages reducer keeps as BaseMessage objects.
    return cast("Agent", graph.with_config(recursion_limit=4 * max_steps + 8))
