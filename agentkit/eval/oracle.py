"""What the eval asks the platform itself (never the agent): expected values as of a turn, and
whether a row the agent was served belongs to the transcript's customer."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from agentkit.errors import AgentkitError
from agentkit.eval.metrics import FactSpec
from agentkit.eval.transcripts import ExpectedFact
from agentkit.features.definitions import Feature
from agentkit.governance.principal import Principal
from agentkit.project import Project

__all__ = ["Oracle", "data_version"]


def data_version(project: Project) -> str:
    """A fingerprint of the data an eval reads: applied version, current snapshots, help-center index."""
    applied = project.applied()
    parts: dict[str, Any] = {"applied": applied.version}
    for view in applied.definitions.views:
        parts[view.name] = project.offline.current_snapshot_id(view.name)
    docs = project.docs
    parts["docs"] = sorted(repr(d) for d in docs.documents)
    parts["embedder"] = project.embedder.model_id
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:16]


class Oracle:
    """Platform lookups for scoring, cached per (question, key, time)."""

    def __init__(self, project: Project, agent: str) -> None:
        self.project = project
        self.agent = agent
        self.definitions = project.applied().definitions
        self._scope: dict[tuple[str, str, str, datetime], bool] = {}

    def feature(self, ref: str) -> Feature | None:
        view, _, name = ref.partition(".")
        try:
            return self.definitions.view(view).feature(name)
        except (AgentkitError, KeyError, ValueError):
            return None

    def resolve(self, fact: ExpectedFact, customer: str, as_of: datetime) -> FactSpec:
        """The fact with its value (the transcript's, or read from the platform as of the turn)."""
        feature = self.feature(fact.feature)
        dtype = feature.dtype if feature else "string"
        unit = feature.unit if feature else None
        if fact.value is not None:
            return FactSpec(fact.feature, fact.entity_key, fact.value, dtype, unit, "transcript")
        value: Any = None
        try:
            if fact.entity_key is not None:
                rows = self.project.read_features_unscoped([fact.feature], [fact.entity_key], as_of=as_of)
            else:
                principal = Principal(agent=self.agent, subject=customer)
                rows = self.project.get_features(principal, [fact.feature], as_of=as_of, surface="eval")
            if rows.rows:
                value = rows.rows[0].values.get(fact.feature)
        except AgentkitError:
            value = None
        if isinstance(value, datetime):
            value = value.isoformat()
        return FactSpec(
            fact.feature, fact.entity_key, value, dtype, unit, "platform" if value is not None else "unknown"
        )

    def in_scope(self, ref: str, key: str, customer: str, as_of: datetime) -> bool:
        """Whether the row ``key`` of ``ref``'s entity belongs to ``customer`` as of the turn.

        Decided from the entity's declared scope with unscoped platform reads where it can be
        (``subject``: key = customer; ``owned_by``: the owner column read as of the turn equals
        the customer; ``public``: always), and through the platform's scope resolution for
        ``through`` scopes (e.g. the courier of one of the customer's orders)."""
        view_name = ref.partition(".")[0]
        try:
            view = self.definitions.view(view_name)
        except (AgentkitError, KeyError, ValueError):
            return False
        entity = view.entity
        cache_key = (entity.name, key, customer, as_of)
        if cache_key in self._scope:
            return self._scope[cache_key]
        scope = entity.scope
        ok: bool
        if scope is None:
            ok = False
        elif scope.kind == "public":
            ok = True
        elif scope.kind == "subject":
            ok = key == customer
        elif scope.kind == "owned_by":
            owner_ref = f"{scope.view}.{scope.column}"
            try:
                rows = self.project.read_features_unscoped([owner_ref], [key], as_of=as_of)
                ok = any(r.values.get(owner_ref) == customer for r in rows.rows)
            except AgentkitError:
                ok = False
        else:
            try:
                principal = Principal(agent=self.agent, subject=customer)
                rows = self.project.get_features(principal, [ref], entity_key=key, as_of=as_of, surface="eval")
                ok = bool(rows.rows)
            except AgentkitError:
                ok = False
        self._scope[cache_key] = ok
        return ok
