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

__version__ = "0.1.0"

__all__ = [
    "AgentkitError",
    "ApplyResult",
    "AsOfError",
    "AuditRecord",
    "CatalogError",
    "Change",
    "ConfigError",
    "DataError",
    "Decision",
    "DefinitionError",
    "Definitions",
    "Entity",
    "Feature",
    "FeatureRow",
    "FeatureRows",
    "FeatureView",
    "IngestResult",
    "LocalOnlineStore",
    "MaterializeResult",
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
    "SnapshotInfo",
    "ViewStatus",
    "load_config",
]
