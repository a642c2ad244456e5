"""Typed views of LangChain messages and of the JSON the platform tools return.

LangChain types a message's content as ``str | list[str | dict]``, a tool message's artifact and a
graph state's values as ``Any``; the platform tools return decoded JSON. They are narrowed here,
once, so the planner and the trace work with ``str``, ``JsonObject`` and ``list[object]``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import cast

from langchain_core.messages import BaseMessage, ToolMessage

__all__ = ["JsonObject", "as_list", "as_object", "message_text", "state_messages", "tool_artifact"]

JsonObject = dict[str, object]
"""A decoded JSON object."""


def as_object(value: object) -> JsonObject | None:
    """``value`` if it is a decoded JSON object, else None."""
    if isinstance(value, dict):
        return cast("JsonObject", value)  # decoded JSON: its keys are str
    return None


def as_list(value: object) -> list[object] | None:
    """``value`` if it is a decoded JSON array, else None."""
    if isinstance(value, list):
        return cast("list[object]", value)
    return None


def message_text(message: BaseMessage) -> str:
    """The text of a message: its content, or the ``text`` of its content parts joined."""
    content = message.content
    if isinstance(content, str):
        return content
    return "".join(_part_text(part) for part in content)


def _part_text(part: object) -> str:
    block = as_object(part)
    return str(block.get("text", "")) if block is not None else str(part)


def tool_artifact(message: ToolMessage) -> object:
    """A tool message's artifact (the platform tools put their decoded JSON there), or None."""
    artifact: object = message.artifact
    return artifact


def state_messages(state: Mapping[str, object]) -> Sequence[BaseMessage]:
    """The messages of an agent's state."""
    # The agent's add_messages reducer keeps its "messages" channel as a list of BaseMessage.
    return cast("Sequence[BaseMessage]", state["messages"])
