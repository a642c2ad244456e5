"""The typed face of the LangGraph agent: what ``build_agent`` returns, and the one call into
``create_agent``.

LangGraph types a compiled graph's ``invoke``/``stream`` input with a bare ``Command`` (so strict
checking sees ``Command[Unknown]`` at every call) and its output as ``dict[str, Any]``; LangChain's
``create_agent`` takes a bare ``BaseCheckpointSaver``. Both are narrowed here, once: :class:`Agent`
declares the calls agentkit supports with the state they return (:class:`AgentOutput`). The object
is LangGraph's compiled graph; cast it to ``CompiledStateGraph`` for anything not listed here.
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
from langgraph.types import Command, StateSnapshot, StreamMode

from agentkit.tools.context import RunContext

__all__ = ["Agent", "AgentInput", "AgentOutput", "compile_agent"]


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


def compile_agent(
    model: BaseChatModel,
    tools: Sequence[BaseTool],
    *,
    system_prompt: str,
    checkpointer: BaseCheckpointSaver[str] | None,
    max_steps: int,
    name: str,
) -> Agent:
    """``create_agent`` with a model-call budget of ``max_steps`` per turn (ending, not raising)."""
    graph = create_agent(
        model,
        tools,
        system_prompt=system_prompt,
        context_schema=RunContext,
        checkpointer=checkpointer,
        middleware=[ModelCallLimitMiddleware(run_limit=max_steps, exit_behavior="end")],
        name=name,
    )
    # LangGraph declares the output as dict[str, Any]; the agent's state holds its messages, which
    # the add_messages reducer keeps as BaseMessage objects.
    return cast("Agent", graph.with_config(recursion_limit=4 * max_steps + 8))
