"""Scope resolution: the keys of an entity that a principal can reach, compiled from the
entity's declared scope rule and evaluated against the same data (live or as of t) as the read.

Rules compose: ``through`` follows another entity's reachable keys, up to ``MAX_DEPTH`` hops.
An entity without a rule is unreachable for end users (deny by default).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from agentkit.errors import DefinitionError
from agentkit.features.definitions import Definitions, Entity, FeatureView
from agentkit.governance.principal import Principal

__all__ = ["MAX_DEPTH", "Reach", "ScopeSource", "key_in_reach", "resolve_reach"]

MAX_DEPTH = 4


class ScopeSource(Protocol):
    """Where scope rules read their data: the online store (live) or Iceberg (as of t).

    The read path implements it over the project's stores (:mod:`agentkit.reads.sources`) and
    picks one per read, so scope sees the same data as the read it guards.
    """

    def keys_where(self, view: FeatureView, column: str, value: str, as_of: datetime | None) -> list[str]:
        """Keys of ``view`` whose latest row (at ``as_of``) has ``column == value``."""
        ...

    def values_of(self, view: FeatureView, keys: Sequence[str], column: str, as_of: datetime | None) -> list[str]:
        """Non-null values of ``column`` on the latest rows (at ``as_of``) of ``keys``."""
        ...


@dataclass(frozen=True, slots=True)
class Reach:
    """Keys a principal can reach: a finite set, or every key (``public``)."""

    keys: frozenset[str]
    everything: bool = False
    rule: str = ""

    def allows(self, key: str) -> bool:
        return self.everything or key in self.keys


NOTHING = Reach(frozenset(), rule="no scope rule: unreachable for end users")


def resolve_reach(
    entity: Entity,
    principal: Principal,
    definitions: Definitions,
    source: ScopeSource,
    *,
    as_of: datetime | None,
    depth: int = 0,
) -> Reach:
    if principal.kind == "service":
        return Reach(frozenset(), everything=True, rule="platform principal")
    scope = entity.scope
    if scope is None:
        return NOTHING
    if depth > MAX_DEPTH:
        raise DefinitionError(
            f"scope of entity '{entity.name}' goes more than {MAX_DEPTH} hops deep (a cycle?)",
            code="scope_too_deep",
        )
    if scope.kind == "public":
        return Reach(frozenset(), everything=True, rule=scope.describe())
    subject = principal.subject
    if subject is None:
        return Reach(frozenset(), rule="no end user: customer data is not readable")
    if scope.kind == "subject":
        return Reach(frozenset((subject,)), rule=scope.describe())
    assert scope.view is not None
    assert scope.column is not None
    view = definitions.view(scope.view)
    if scope.kind == "owned_by":
        return Reach(frozenset(source.keys_where(view, scope.column, subject, as_of)), rule=scope.describe())
    assert scope.entity is not None
    parent = resolve_reach(
        definitions.entity(scope.entity), principal, definitions, source, as_of=as_of, depth=depth + 1
    )
    if parent.everything:
        return Reach(frozenset(), everything=True, rule=scope.describe())
    values = source.values_of(view, sorted(parent.keys), scope.column, as_of)
    return Reach(frozenset(values), rule=scope.describe())


def key_in_reach(
    entity: Entity,
    principal: Principal,
    key: str,
    definitions: Definitions,
    source: ScopeSource,
    *,
    as_of: datetime | None,
) -> bool:
    """Whether ``key`` is reachable, without enumerating every reachable key when the rule allows
    a direct check (own row, public, or one owned row). Same answer as :func:`resolve_reach`."""
    if principal.kind == "service":
        return True
    scope = entity.scope
    if scope is None:
        return False
    if scope.kind == "public":
        return True
    if principal.subject is None:
        return False
    if scope.kind == "subject":
        return key == principal.subject
    if scope.kind == "owned_by":
        assert scope.view is not None
        assert scope.column is not None
        owners = source.values_of(definitions.view(scope.view), [key], scope.column, as_of)
        return owners == [principal.subject]
    return resolve_reach(entity, principal, definitions, source, as_of=as_of).allows(key)
