"""Agents over the governed test world, with scripted fake chat models (fakes only at the model boundary)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage

import agentkit as ak
from tests.governance.conftest import World, build_world, make_governed
from tests.server.conftest import SERVER_POLICY


class ScriptedModel(GenericFakeChatModel):
    """Emits the scripted messages in order; records the tool names it was bound to."""

    bound: list[str] = []  # noqa: RUF012 - pydantic field, copied per instance

    def bind_tools(self, tools: Sequence[object], **kwargs: Any) -> ScriptedModel:
        self.bound = [getattr(t, "name", str(t)) for t in tools]
        return self


def scripted(*messages: AIMessage) -> ScriptedModel:
    return ScriptedModel(messages=iter(messages))


def call(name: str, args: dict[str, Any], i: int = 0) -> AIMessage:
    return AIMessage(content="", tool_calls=[{"name": name, "args": args, "id": f"c{i}", "type": "tool_call"}])


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ak.Project, World]]:
    project = make_governed(tmp_path_factory.mktemp("agent"), policy=SERVER_POLICY)
    world = build_world(project, customers=10)
    yield project, world
    project.close()
