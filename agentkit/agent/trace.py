"""The structured trace of a turn: tool calls, features read (with provenance), documents seen and
cited. Built from the messages of the final state, so any run — live, replayed, checkpointed — can
be explained from its messages alone."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage

from agentkit.agent._messages import as_list, as_object, message_text, state_messages, tool_artifact
from agentkit.retrieval.citations import citations

__all__ = ["FeatureRead", "ToolCall", "Trace", "trace_of"]


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


def trace_of(state: Mapping[str, object] | Sequence[BaseMessage], *, whole_conversation: bool = False) -> Trace:
    """The trace of the last turn (or of every turn) of a finished run: its state, or its messages."""
    messages = state_messages(state) if isinstance(state, Mapping) else state
    turn = messages if whole_conversation else _last_turn(messages)
    calls: dict[str, tuple[str, dict[str, Any]]] = {}
    trace = Trace()
    for message in turn:
        if isinstance(message, AIMessage):
            for call in message.tool_calls:
                calls[call["id"] or ""] = (call["name"], dict(call["args"]))
            if message.content and not message.tool_calls:
                trace = Trace(trace.tool_calls, trace.features, trace.documents_seen, [], [], message_text(message))
        elif isinstance(message, ToolMessage):
            name, args = calls.get(message.tool_call_id, (message.name or "?", {}))
            artifact = tool_artifact(message)
            payload, hits = as_object(artifact), as_list(artifact)
            if payload is None and hits is None:
                parsed = _parse(message.content)
                payload, hits = as_object(parsed), as_list(parsed)
            error = payload.get("error") if payload is not None else None
            trace.tool_calls.append(ToolCall(name, args, error is None, None if error is None else str(error)))
            if name == "get_features" and payload is not None:
                trace.features.extend(_features_read(payload))
            elif name == "search_help_center" and hits is not None:
                for hit in map(as_object, hits):
                    document_id = hit.get("document_id") if hit is not None else None
                    if document_id and document_id not in trace.documents_seen:
                        trace.documents_seen.append(str(document_id))
    cited = citations(trace.answer)
    seen_refs = {f.ref for f in trace.features}
    trace.documents_cited.extend(dict.fromkeys(c for c in cited if c in trace.documents_seen))
    trace.features_cited.extend(dict.fromkeys(c for c in cited if c in seen_refs))
    return trace


def _features_read(payload: Mapping[str, object]) -> list[FeatureRead]:
    """The feature values of a ``get_features`` result, each with its view's provenance."""
    reads: list[FeatureRead] = []
    for row in map(_object, _list(payload.get("rows", []))):
        sources = {s["view"]: s for s in map(_object, _list(row.get("source", [])))}
        for ref, value in _object(row.get("values", {})).items():
            src = sources.get(ref.split(".", 1)[0], {})
            snapshot, event_time = src.get("snapshot"), src.get("event_time")
            reads.append(
                FeatureRead(
                    ref,
                    str(row["key"]),
                    value,
                    str(src.get("view", "")),
                    snapshot if isinstance(snapshot, int) else None,
                    event_time if isinstance(event_time, str) else None,
                )
            )
    return reads


def _object(value: object) -> Mapping[str, object]:
    payload = as_object(value)
    if payload is None:
        raise TypeError(f"expected a JSON object in the get_features result, got {type(value).__name__}")
    return payload


def _list(value: object) -> list[object]:
    items = as_list(value)
    if items is None:
        raise TypeError(f"expected a JSON array in the get_features result, got {type(value).__name__}")
    return items


def _parse(content: object) -> object:
    if isinstance(content, str):
        if content.startswith("error: "):
            return {"error": content.removeprefix("error: ")}
        try:
            return json.loads(content)
        except json.JSONDecodeError:
            return None
    return None
