"""The optional judge: cached verdicts, and the chat-model judge parses what a model returns."""

from __future__ import annotations

from pathlib import Path

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage

from agentkit.eval.judge import CachedJudge, ChatModelJudge, Verdict


class CountingJudge:
    judge_id = "counting"

    def __init__(self) -> None:
        self.calls = 0

    def judge(self, question: str, answer: str, evidence: str) -> Verdict:
        self.calls += 1
        return Verdict(1.0 if answer in evidence else 0.0, 0.5, "substring")


def test_verdicts_are_cached_and_stable(tmp_path: Path) -> None:
    inner = CountingJudge()
    judge = CachedJudge(inner, tmp_path)
    first = judge.judge("eta?", "12 minutes", "eta_minutes: 12 minutes")
    again = CachedJudge(inner, tmp_path).judge("eta?", "12 minutes", "eta_minutes: 12 minutes")
    assert first == again and inner.calls == 1
    assert judge.judge("eta?", "99 minutes", "eta_minutes: 12 minutes").faithfulness == 0.0  # a bad answer scores low


def test_chat_model_judge_parses_and_clamps() -> None:
    model = GenericFakeChatModel(
        messages=iter(
            [
                AIMessage(content='Sure: {"faithfulness": 1.7, "helpfulness": 0.4, "rationale": "ok"}'),
                AIMessage(content="no json here"),
            ]
        )
    )
    judge = ChatModelJudge(model, "fake")
    assert judge.judge("q", "a", "e") == Verdict(1.0, 0.4, "ok")
    assert judge.judge("q", "a", "e") == Verdict(0.0, 0.0, "")
