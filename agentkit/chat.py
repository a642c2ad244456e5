"""``agentkit demo`` and ``agentkit chat``: talk to a support agent as a chosen customer.

The demo builds the Dashly example (``agentkit.examples.support_bot``, shipped in the package) into
a working folder once — generated data, Iceberg tables, online store, help-center index — and
reuses it afterwards; no source checkout is needed. The default model is the offline
:class:`~agentkit.agent.PlannerModel` (deterministic, not a language model); ``--model
provider:name`` uses any LangChain chat model (``init_chat_model``).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage
from langchain_core.tools import BaseTool, tool

from agentkit.agent import PlannerModel, RunContext, Trace, build_agent, trace_of
from agentkit.errors import ConfigError
from agentkit.governance.principal import Principal
from agentkit.project import Project

__all__ = ["Session", "ensure_demo", "example_dir", "handoff_tool", "load_model"]


def example_dir() -> Path:
    """The folder of the example shipped in the package (``agentkit/examples/support_bot``)."""
    from agentkit.examples import support_bot

    root = Path(support_bot.__file__).resolve().parent
    if not (root / "agentkit.toml").is_file():
        raise ConfigError(
            f"the support-bot example's project files are missing from {root}; reinstall agentkit-support "
            "— or use `agentkit chat` in your own project",
            code="example_missing",
        )
    return root


def ensure_demo(target: Path, *, rebuild: bool = False, log: Callable[[str], None] = lambda _m: None) -> Project:
    """Build the example into ``target`` unless it is already there; index its help center."""
    config = target / "agentkit.toml"
    if rebuild or not (target / ".agentkit" / "online").exists():
        log(f"building the Dashly example in {target} (data, Iceberg tables, online store) ...")
        example_dir()  # a clear error if the installed package lost the example's files
        from agentkit.examples.support_bot.build import build_example

        config = build_example(target)
    project = Project.load(config)
    if not project.docs.documents:
        from agentkit.retrieval.loaders import load_documents

        log("indexing the help center (first run: loads the embedding model) ...")
        project.docs.add(load_documents([str(project.root / "help_center")]).documents)
        project.save_docs()
    return project


def load_model(spec: str | None) -> BaseChatModel:
    """``None``: the offline planner. ``provider:name``: LangChain's ``init_chat_model``."""
    if spec is None or spec in ("planner", "offline"):
        return PlannerModel()
    from langchain.chat_models import init_chat_model

    try:
        return init_chat_model(spec)
    except (ImportError, ValueError) as exc:
        raise ConfigError(
            f"--model {spec!r}: {exc}; install the provider package (e.g. langchain-openai) and set its API key",
            code="model_unavailable",
        ) from exc


def handoff_tool(project: Project) -> BaseTool:
    """``escalate_to_human``: hands the conversation to a person with a summary (recorded locally)."""

    @tool
    def escalate_to_human(summary: str) -> str:
        """Hand the conversation to a human agent. Use it for what you must not decide alone (safety
        incidents, disputes, anything the data and help center don't settle). Args: summary of the case."""
        ticket = f"HO-{uuid.uuid4().hex[:8].upper()}"
        path = project.config.state_dir / "handoffs.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as handle:
            handle.write(
                json.dumps({"ticket": ticket, "summary": summary[:2000], "at": datetime.now(UTC).isoformat()}) + "\n"
            )
        return f"handed over to a human agent: ticket {ticket}"

    return escalate_to_human


@dataclass
class Reply:
    answer: str
    trace: Trace


class Session:
    """A conversation with one customer (multi-turn through an in-memory checkpointer)."""

    def __init__(self, project: Project, model: BaseChatModel, *, user: str, agent: str = "support_bot") -> None:
        from langgraph.checkpoint.memory import InMemorySaver

        self._graph = build_agent(
            model, project=project, agent=agent, extra_tools=[handoff_tool(project)], checkpointer=InMemorySaver()
        )
        self._context = RunContext(principal=Principal(agent=agent, subject=user), session_id=uuid.uuid4().hex)
        self._config: Any = {"configurable": {"thread_id": self._context.session_id}}

    def ask(self, question: str) -> Reply:
        state = self._graph.invoke({"messages": [HumanMessage(question)]}, config=self._config, context=self._context)
        trace = trace_of(state)
        return Reply(trace.answer or str(state["messages"][-1].content), trace)
