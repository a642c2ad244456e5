"""agentkit: customer-support agents that answer with the customer's own data, safely.

The public API is what this module exports; import from ``agentkit``, not from submodules.
"""

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
    "Policy",
    "PolicyError",
    "PolicySnapshot",
    "Principal",
    "Project",
    "ProjectConfig",
    "Provenance",
    "Scope",
    "SemanticCatalog",
    "SnapshotInfo",
    "ViewStatus",
    "load_config",
    "load_documents",
]
