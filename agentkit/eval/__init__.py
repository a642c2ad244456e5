"""Offline evaluation: recorded transcripts, replay, metrics and reports.

``agentkit.eval.run(project, transcripts, model_factory=...)`` is the Python entry point (the same
as ``agentkit eval run``). The runner loads LangGraph on first use, not on import.
"""

from typing import TYPE_CHECKING, Any

from agentkit.eval.transcripts import Transcript, load_transcripts, load_transcripts_lenient

if TYPE_CHECKING:
    from agentkit.eval.runner import run_eval as run
    from agentkit.eval.runner import score_recorded

__all__ = ["Transcript", "load_transcripts", "load_transcripts_lenient", "run", "score_recorded"]


def __getattr__(name: str) -> Any:
    if name in ("run", "score_recorded"):
        from agentkit.eval import runner

        return runner.run_eval if name == "run" else runner.score_recorded
    raise AttributeError(f"module 'agentkit.eval' has no attribute {name!r}")
