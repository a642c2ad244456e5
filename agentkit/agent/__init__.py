"""The agent SDK: ``build_agent``, the run context, the offline planner and the trace."""

from agentkit.agent._graph import Agent, AgentInput, AgentOutput
from agentkit.agent.builder import SYSTEM_PROMPT, build_agent
from agentkit.agent.planner import PlannerModel
from agentkit.agent.trace import FeatureRead, ToolCall, Trace, trace_of
from agentkit.tools.context import RunContext

__all__ = [
    "SYSTEM_PROMPT",
    "Agent",
    "AgentInput",
    "AgentOutput",
    "FeatureRead",
    "PlannerModel",
    "RunContext",
    "ToolCall",
    "Trace",
    "build_agent",
    "trace_of",
]
