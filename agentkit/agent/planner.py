"""``PlannerModel``: a deterministic planner that drives the agent's tools offline.

It is **not a language model**. It implements LangChain's chat-model interface so the very same
graph, tools, server and policy run without any LLM service — for the demo, for CI and as a
no-LLM baseline in evaluation. Each turn it:

1. searches the help center and the catalog with the customer's message (the tools it is bound to);
2. reads the readable features the catalog ranked best, all of one entity (the top hit's),
   naming a record only when the message mentions one by key;
3. composes an answer from the values returned — each described with its catalog description and
   unit, cited as ``[view.feature]`` — plus the best help-center passage, cited as ``[doc-id]``.

Everything it says comes from tool results: different customers with different data get different
answers, and a refusal from the server is reported as such.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolCall, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.tools import BaseTool

from agentkit.agent._messages import JsonObject, as_list, as_object, tool_artifact

__all__ = ["PlannerModel"]

_KEY = re.compile(r"\b([a-z]_\d{3,6})\b")
MAX_FEATURES = 12


class PlannerModel(BaseChatModel):
    """Deterministic tool planner (not an LLM); see the module docstring."""

    bound_tools: tuple[str, ...] = ("search_help_center", "search_catalog", "get_features")
    max_features: int = MAX_FEATURES
    max_views: int = 5
    """Views read per turn: one ``get_features`` call for each of the best-ranked views."""

    @property
    def _llm_type(self) -> str:
        return "agentkit-planner"

    def bind_tools(self, tools: Sequence[object], **kwargs: Any) -> PlannerModel:
        names = tuple(t.name if isinstance(t, BaseTool) else str(getattr(t, "name", t)) for t in tools)
        return self.model_copy(update={"bound_tools": names})

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=self._next(messages))])

    # --- the plan ------------------------------------------------------------------------------

    def _next(self, messages: list[BaseMessage]) -> AIMessage:
        question, results = _turn(messages)
        done = {name for name, _ in results.values()}
        step = sum(isinstance(m, AIMessage) for m in _after_last_human(messages))
        calls: list[ToolCall] = []
        if step == 0:
            if "search_help_center" in self.bound_tools:
                calls.append(_call("search_help_center", {"query": question[:500], "k": 3}, step, 0))
            if "search_catalog" in self.bound_tools:
                calls.append(_call("search_catalog", {"intent": question[:500], "k": 20}, step, 1))
            if calls:
                return AIMessage(content="", tool_calls=calls)
        if "get_features" in self.bound_tools and "get_features" not in done:
            catalog = next((data for name, data in results.values() if name == "search_catalog"), None)
            groups = _pick_features(catalog, self.max_features, self.max_views)
            key = _mentioned_key(question)
            if key:  # a record named by key: read only the best view for it
                groups = groups[:1]
            for i, features in enumerate(groups):
                args: dict[str, object] = {"features": features}
                if key:
                    args["entity_key"] = key
                calls.append(_call("get_features", args, step, i))
            if calls:
                return AIMessage(content="", tool_calls=calls)
        return AIMessage(content=_compose(results))


def _call(name: str, args: dict[str, object], step: int, index: int) -> ToolCall:
    return ToolCall(name=name, args=args, id=f"plan_{step}_{index}_{name}", type="tool_call")


def _after_last_human(messages: Sequence[BaseMessage]) -> Sequence[BaseMessage]:
    for i in range(len(messages) - 1, -1, -1):
        if isinstance(messages[i], HumanMessage):
            return messages[i + 1 :]
    return messages


def _turn(messages: list[BaseMessage]) -> tuple[str, dict[str, tuple[str, object]]]:
    question = ""
    for message in reversed(messages):
        if isinstance(message, HumanMessage):
            question = message.content if isinstance(message.content, str) else str(message.content)
            break
    names: dict[str, str] = {}
    results: dict[str, tuple[str, object]] = {}
    for message in _after_last_human(messages):
        if isinstance(message, AIMessage):
            for call in message.tool_calls:
                names[call["id"] or ""] = call["name"]
        elif isinstance(message, ToolMessage):
            name = names.get(message.tool_call_id, message.name or "")
            data = tool_artifact(message)
            if data is None and isinstance(message.content, str):
                try:
                    data = json.loads(message.content)
                except json.JSONDecodeError:
                    data = {"error": message.content.removeprefix("error: ")}
            results[message.tool_call_id] = (name, data)
    return question, results


def _mentioned_key(question: str) -> str | None:
    match = _KEY.search(question.lower())
    return match.group(1) if match else None


def _pick_features(catalog: object, limit: int, max_views: int) -> list[list[str]]:
    """The best-ranked features grouped by view, best view first (one view per read)."""
    groups: dict[str, list[str]] = {}
    for feature in map(_feature_of, as_list(catalog) or []):
        if feature is not None:
            view = feature.split(".", 1)[0]
            if view in groups or len(groups) < max_views:
                bucket = groups.setdefault(view, [])
                if len(bucket) < limit:
                    bucket.append(feature)
    return list(groups.values())


def _feature_of(hit: object) -> str | None:
    """The feature ref of a catalog hit, if it has one."""
    fields = as_object(hit)
    feature = fields.get("feature") if fields is not None else None
    return feature if isinstance(feature, str) else None


def _fact_line(ref: str, value: object, catalog: dict[str, JsonObject]) -> str | None:
    """``- label: value unit [ref]`` for a value read (None for a missing value)."""
    if value is None:
        return None
    meta = catalog.get(ref, {})
    unit = meta.get("unit")
    shown = f"{value} {unit}" if unit and not str(value).endswith(str(unit)) else str(value)
    description = meta.get("description")
    if not isinstance(description, str):
        description = ref.split(".", 1)[1].replace("_", " ")
    return f"- {_describe(description)}: {shown} [{ref}]"


def _describe(description: str) -> str:
    """The first clause of a feature's description, as a label ("current estimate of minutes ...")."""
    text = re.split(r"[;:]|\.\s|\(", description.strip(), maxsplit=1)[0].strip().rstrip(".,")
    return text[:1].lower() + text[1:] if text else text


def _compose(results: dict[str, tuple[str, object]]) -> str:
    catalog: dict[str, JsonObject] = {}
    facts: list[str] = []
    refusal: str | None = None
    passage: str | None = None
    for name, data in results.values():
        if name == "search_catalog":
            for hit in map(as_object, as_list(data) or []):
                if hit is not None and isinstance(hit.get("feature"), str):
                    catalog[str(hit["feature"])] = hit
    for call_id, (name, data) in results.items():
        if name != "get_features":
            continue
        primary = call_id.endswith("_0_get_features")
        payload = as_object(data)
        if payload is not None and payload.get("error"):
            if primary:  # secondary reads (other views) may legitimately not apply
                refusal = str(payload["error"])
            continue
        if payload is None:
            continue
        rows = as_list(payload.get("rows")) or []
        for row in map(as_object, rows[:1]):  # the most recent record answers "my order" questions
            if row is None:
                continue
            lines = [_fact_line(ref, value, catalog) for ref, value in (as_object(row.get("values")) or {}).items()]
            if any(lines):
                facts.append(f"For your {payload.get('entity', 'record')} {row.get('key')}:")
                facts.extend(line for line in lines if line)
        if not rows and primary:
            refusal = "I found no records of yours for that."
    for name, data in results.values():
        hits = as_list(data)
        if name == "search_help_center" and hits and passage is None:
            top = as_object(hits[0]) or {}
            text = " ".join(str(top.get("text", "")).split())
            sentences = re.split(r"(?<=[.!?])\s+", text)
            passage = f"{top.get('title', '')}: {' '.join(sentences[:2])} [{top.get('document_id')}]"
    parts: list[str] = []
    if refusal:
        parts.append(f"I can't look that up for you: {refusal}")
    if facts:
        parts.append("\n".join(facts))
    if passage:
        parts.append(f"From our help center — {passage}")
    if not parts:
        return "I don't know: I found nothing in your data or the help center that answers this."
    return "\n\n".join(parts)
