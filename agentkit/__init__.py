"""agentkit: customer-support agents that answer with the customer's own data, safely.

The public API is what this module exports; import from ``agentkit``, not from submodules.
"""

from typing import TYPE_CHECKING, Any

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
from agentkit.features.offline import SnapshotInfo
from agentkit.features.online import LocalOnlineStore, OnlineStore
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
from agentkit.governance.audit import AuditRecord
from agentkit.governance.policy import Decision, Policy, PolicySnapshot
from agentkit.governance.principal import Principal
from agentkit.project import Project
from agentkit.retrieval import (
    CachedEmbedder,
    Document,
    DocumentHit,
    DocumentIndex,
    Embedder,
    EmbeddingCache,
    HashingEmbedder,
    LoadProblem,
    MiniLMEmbedder,
    load_documents,
)
from agentkit.retrieval.catalog import CatalogHit, LintReport, SemanticCatalog

if TYPE_CHECKING:  # heavy engines (LangGraph, LangChain, MCP) load on first use, not on import
    from agentkit.agent import PlannerModel, RunContext, Trace, build_agent, trace_of
    from agentkit.server.app import build_mcp_server

_LAZY = {
    "PlannerModel": "agentkit.agent",
    "RunContext": "agentkit.agent",
    "Trace": "agentkit.agent",
    "build_agent": "agentkit.agent",
    "trace_of": "agentkit.agent",
    "build_mcp_server": "agentkit.server.app",
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


__version__ = "0.1.0"

__all__ = [
    "AgentkitError",
    "ApplyResult",
    "AsOfError",
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
    "Embedder",
    "EmbeddingCache",
    "Entity",
    "Feature",
    "FeatureRow",
    "FeatureRows",
    "FeatureView",
    "HashingEmbedder",
    "IngestResult",
    "LintReport",
    "LoadProblem",
    "LocalOnlineStore",
    "MaterializeResult",
    "MiniLMEmbedder",
    "NotFoundError",
    "OnlineStore",
    "OnlineStoreError",
    "Plan",
    "PlanError",
    "PlannerModel",
    "Policy",
    "PolicyError",
    "PolicySnapshot",
    "Principal",
    "Project",
    "ProjectConfig",
    "Provenance",
    "RunContext",
    "Scope",
    "SemanticCatalog",
    "SnapshotInfo",
    "Trace",
    "Transcript",
    "ViewStatus",
    "build_agent",
    "build_mcp_server",
    "load_config",
    "load_documents",
    "load_transcripts",
    "trace_of",
]
