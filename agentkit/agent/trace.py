"""The structured trace of a turn: tool calls, features read (with provenance), documents seen and
cited. Built from the messages of the final state, so any run — live, replayed, checkpointed — can
be explained from its messages alone."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage

__all__ = ["FeatureRead", "ToolCall", "Trace", "trace_of"]

_CITATION = re.compile(r"\[([a-z0-9][a-z0-9_.\-]*)\]")


@dataclass(frozen=True, slots=True)
class ToolCall:
    name: str
    args: dict[str, Any]
    ok: bool
    error: str | None = None


@dataclass(frozen=True, slots=True)
class FeatureRead:
    ref: str
    key: str
    value: Any
    view: str
    snapshot_id: int | None
    event_time: str | None


@dataclass(frozen=True)
class Trace:
    tool_calls: list[ToolCall] = field(default_factory=list[ToolCall])
    features: list[FeatureRead] = field(default_factory=list[FeatureRead])
    documents_seen: list[str] = field(default_factory=list[str])
    documents_cited: list[str] = field(default_factory=list[str])
    features_cited: list[str] = field(default_factory=list[str])
    answer: str = ""

    def to_dict(self) -> dict[str, Any]:
        from dataclasses import asdict

        return asdict(self)


def _last_turn(messages: Sequence[BaseMessage]) -> Sequence[BaseMessage]:
    for i in range(len(messages) - 1, -1, -1):
        if isinstance(messages[i], HumanMessage):
            return messages[i + 1 :]
    return messages


def trace_of(state: dict[str, Any] | Sequence[BaseMessage], *, whole_conversation: bool = False) -> Trace:
    """The trace of the last turn (or of every turn) of a finished run."""
    messages: Sequence[BaseMessage] = state["messages"] if isinstance(state, dict) else state
    turn = messages if whole_conversation else _last_turn(messages)
    calls: dict[str, tuple[str, dict[str, Any]]] = {}
    trace = Trace()
    for message in turn:
        if isinstance(message, AIMessage):
            for call in message.tool_calls:
                calls[call["id"] or ""] = (call["name"], dict(call["args"]))
            if message.content and not message.tool_calls:
                trace = Trace(trace.tool_calls, trace.features, trace.documents_seen, [], [], _text(message))
        elif isinstance(message, ToolMessage):
            name, args = calls.get(message.tool_call_id, (message.name or "?", {}))
            artifact = message.artifact if isinstance(message.artifact, (dict, list)) else _parse(message.content)
            error = artifact.get("error") if isinstance(artifact, dict) else None
            trace.tool_calls.append(ToolCall(name, args, error is None, error))
            if name == "get_features" and isinstance(artifact, dict):
                for row in artifact.get("rows", []):
                    sources = {s["view"]: s for s in row.get("source", [])}
                    for ref, value in row.get("values", {}).items():
                        src = sources.get(ref.split(".", 1)[0], {})
                        trace.features.append(
                            FeatureRead(
                                ref, row["key"], value, src.get("view", ""), src.get("snapshot"), src.get("event_time")
                            )
                        )
            elif name == "search_help_center" and isinstance(artifact, list):
                for hit in artifact:
                    if (
                        isinstance(hit, dict)
                        and hit.get("document_id")
                        and hit["document_id"] not in trace.documents_seen
                    ):
                        trace.documents_seen.append(str(hit["document_id"]))
    cited = _CITATION.findall(trace.answer)
    seen_refs = {f.ref for f in trace.features}
    trace.documents_cited.extend(dict.fromkeys(c for c in cited if c in trace.documents_seen))
    trace.features_cited.extend(dict.fromkeys(c for c in cited if c in seen_refs))
    return trace


def _text(message: BaseMessage) -> str:
    content = message.content
    if isinstance(content, str):
        return content
    return "".join(part.get("text", "") if isinstance(part, dict) else str(part) for part in content)


def _parse(content: Any) -> Any:
    if isinstance(content, str):
        if content.startswith("error: "):
            return {"error": content.removeprefix("error: ")}
        try:
            return json.loads(content)
        except json.JSONDecodeError:
            return None
    return None
