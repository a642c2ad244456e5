"""agentkit: customer-support agents that answer with the customer's own data, safely.

The public API is what this module exports; import from ``agentkit``, not from submodules.
"""

from typing import TYPE_CHECKING, Any

from agentkit._version import __version__ as __version__
from agentkit.config import ProjectConfig, load_config
from agentkit.errors import (
    AgentkitError,
    AsOfError,
    CatalogError,
    ConfigError,
    DataError,
    DefinitionError,
    NotFoundError,
    OnlineStoreError,
    PlanError,
    PolicyError,
)
from agentkit.eval.transcripts import Transcript, load_transcripts
from agentkit.features.definitions import Definitions, Entity, Feature, FeatureView, Scope
from agentkit.features.offline import OfflineStore, SnapshotInfo
from agentkit.features.online import LocalOnlineStore, OnlineRow, OnlineStore, RegistryCopy, ViewState
from agentkit.features.plan import Change, Plan
from agentkit.features.results import (
    ApplyResult,
    FeatureRow,
    FeatureRows,
    IngestResult,
    MaterializeResult,
    Provenance,
    ViewStatus,
)
from agentkit.governance.audit import AuditLog, AuditRecord
from agentkit.governance.explain import Explanation
from agentkit.governance.policy import Decision, Grants, Policy, PolicyProblem, PolicySnapshot
from agentkit.governance.principal import Principal
from agentkit.project import Applied, Project
from agentkit.retrieval import (
    CachedEmbedder,
    Document,
    DocumentHit,
    DocumentIndex,
    DocumentInfo,
    Embedder,
    EmbeddingCache,
    HashingEmbedder,
    IndexStats,
    LoadProblem,
    LoadResult,
    MiniLMEmbedder,
    load_documents,
)
from agentkit.retrieval.catalog import CatalogHit, LintReport, SemanticCatalog

if TYPE_CHECKING:  # heavy engines (LangGraph, LangChain, MCP) load on first use, not on import
    from agentkit.agent import Agent, AgentInput, AgentOutput, PlannerModel, RunContext, Trace, build_agent, trace_of
    from agentkit.server.app import AgentkitMCP, build_mcp_server
    from agentkit.server.tokens import TokenClaims, TokenService, TokenVerificationError

_LAZY = {
    "Agent": "agentkit.agent",
    "AgentInput": "agentkit.agent",
    "AgentOutput": "agentkit.agent",
    "PlannerModel": "agentkit.agent",
    "RunContext": "agentkit.agent",
    "Trace": "agentkit.agent",
    "build_agent": "agentkit.agent",
    "trace_of": "agentkit.agent",
    "build_mcp_server": "agentkit.server.app",
    "AgentkitMCP": "agentkit.server.app",
    "TokenClaims": "agentkit.server.tokens",
    "TokenService": "agentkit.server.tokens",
    "TokenVerificationError": "agentkit.server.tokens",
}


def __getattr__(name: str) -> Any:
    import importlib

    if name == "eval":  # the evaluation package: ak.eval.run(...)
        return importlib.import_module("agentkit.eval")
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'agentkit' has no attribute {name!r}")

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "Agent",
    "AgentInput",
    "AgentOutput",
    "AgentkitError",
    "AgentkitMCP",
    "Applied",
    "ApplyResult",
    "AsOfError",
    "AuditLog",
    "AuditRecord",
    "CachedEmbedder",
    "CatalogError",
    "CatalogHit",
    "Change",
    "ConfigError",
    "DataError",
    "Decision",
    "DefinitionError",
    "Definitions",
    "Document",
    "DocumentHit",
    "DocumentIndex",
    "DocumentInfo",
    "Embedder",
    "EmbeddingCache",
    "Entity",
    "Explanation",
    "Feature",
    "FeatureRow",
    "FeatureRows",
    "FeatureView",
    "Grants",
    "HashingEmbedder",
    "IndexStats",
    "IngestResult",
    "LintReport",
    "LoadProblem",
    "LoadResult",
    "LocalOnlineStore",
    "MaterializeResult",
    "MiniLMEmbedder",
    "NotFoundError",
    "OfflineStore",
    "OnlineRow",
    "OnlineStore",
    "OnlineStoreError",
    "Plan",
    "PlanError",
    "PlannerModel",
    "Policy",
    "PolicyError",
    "PolicyProblem",
    "PolicySnapshot",
    "Principal",
    "Project",
    "ProjectConfig",
    "Provenance",
    "RegistryCopy",
    "RunContext",
    "Scope",
    "SemanticCatalog",
    "SnapshotInfo",
    "TokenClaims",
    "TokenService",
    "TokenVerificationError",
    "Trace",
    "Transcript",
    "ViewState",
    "ViewStatus",
    "build_agent",
    "build_mcp_server",
    "load_config",
    "load_documents",
    "load_transcripts",
    "trace_of",
]
