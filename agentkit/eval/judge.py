"""An optional LLM judge for what the deterministic metrics cannot reach (faithfulness,
helpfulness). Off by default and never used for gating: verdicts are reported beside the metrics.

A judge is anything with ``judge(question, answer, evidence) -> Verdict``; :class:`CachedJudge`
stores verdicts on disk keyed by (judge id, question, answer, evidence), so reruns cost nothing and
give the same verdicts. :class:`ChatModelJudge` asks any LangChain chat model.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol, cast

__all__ = ["CachedJudge", "ChatModel", "ChatModelJudge", "Judge", "Verdict"]


@dataclass(frozen=True, slots=True)
class Verdict:
    faithfulness: float
    """0..1: the answer says only what the evidence supports."""
    helpfulness: float
    """0..1: the answer addresses the customer's question."""
    rationale: str = ""


class Judge(Protocol):
    @property
    def judge_id(self) -> str: ...

    def judge(self, question: str, answer: str, evidence: str) -> Verdict: ...


PROMPT = """You grade a customer-support answer. Evidence is what the agent's tools returned.
Return JSON only: {{"faithfulness": 0..1, "helpfulness": 0..1, "rationale": "one sentence"}}.
Question: {question}
Answer: {answer}
Evidence: {evidence}"""


class _Reply(Protocol):
    @property
    def content(self) -> object: ...


class ChatModel(Protocol):
    """What the judge needs of a chat model: a LangChain ``BaseChatModel`` is one."""

    def invoke(self, input: str, /) -> _Reply: ...


class ChatModelJudge:
    """A judge backed by any LangChain chat model (``init_chat_model("provider:name")``)."""

    def __init__(self, model: ChatModel, judge_id: str) -> None:
        self._model = model
        self._id = judge_id

    @property
    def judge_id(self) -> str:
        return self._id

    def judge(self, question: str, answer: str, evidence: str) -> Verdict:
        reply = self._model.invoke(PROMPT.format(question=question, answer=answer, evidence=evidence[:6000]))
        text = reply.content if isinstance(reply.content, str) else str(reply.content)
        match = re.search(r"\{.*\}", text, flags=re.S)
        try:
            data: object = json.loads(match.group(0)) if match else {}
        except json.JSONDecodeError:
            data = {}
        fields = cast("dict[str, object]", data) if isinstance(data, dict) else {}  # decoded JSON: str keys
        return Verdict(
            _clamp(fields.get("faithfulness", 0)),
            _clamp(fields.get("helpfulness", 0)),
            str(fields.get("rationale", "")),
        )


def _clamp(value: object) -> float:
    """A score in 0..1 (the model's number, clamped)."""
    if not isinstance(value, int | float | str):
        raise TypeError(f"a judge score must be a number, got {value!r}")
    return max(0.0, min(1.0, float(value)))


class CachedJudge:
    """Verdicts cached as JSON files under ``directory``."""

    def __init__(self, judge: Judge, directory: Path) -> None:
        self._judge = judge
        self._dir = directory
        self.calls = 0

    @property
    def judge_id(self) -> str:
        return self._judge.judge_id

    def judge(self, question: str, answer: str, evidence: str) -> Verdict:
        key = hashlib.sha256(json.dumps([self.judge_id, question, answer, evidence]).encode()).hexdigest()
        path = self._dir / f"{key}.json"
        if path.exists():
            return Verdict(**json.loads(path.read_text()))
        self.calls += 1
        verdict = self._judge.judge(question, answer, evidence)
        self._dir.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(asdict(verdict)))
        return verdict
