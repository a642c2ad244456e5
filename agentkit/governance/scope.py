"""Scope resolution: the keys of an entity that a principal can reach, compiled from the
entity's declared scope rule and evaluated against the same data (live or as of t) as the read.

Rules compose: ``through`` follows another entity's reachable keys, up to ``MAX_DEPTH`` hops.
An entity without a rule is unreachable for end users (deny by default).

A refused key costs the same whether it exists or not: :func:`check_key` decides from the
principal's candidate keys, which depend on the principal only, and looks up no row of the key
asked for (its timing says nothing about other customers' records). An owned key that is a
candidate is then re-checked on its own row, read with the data it guards.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from agentkit.errors import DefinitionError
from agentkit.features.definitions import Definitions, Entity, FeatureView
from agentkit.governance.principal import Principal

__all__ = ["MAX_DEPTH", "KeyCheck", "OwnerCheck", "Reach", "ScopeSource", "check_key", "resolve_reach"]

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

    def candidates(self, view: FeatureView, column: str, value: str, as_of: datetime | None) -> Sequence[str]:
        """A superset of :meth:`keys_where` from an index alone (no row read): callers re-check
        the rows. Its cost depends on ``value``, never on which key is asked about."""
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


@dataclass(frozen=True, slots=True)
class OwnerCheck:
    """What an owned key's own row must show: ``view.column == value``."""

    view: str
    column: str
    value: str

    @property
    def ref(self) -> str:
        return f"{self.view}.{self.column}"


@dataclass(frozen=True, slots=True)
class KeyCheck:
    """:func:`check_key`'s answer: refused, allowed, or allowed if the key's row — read with the data
    it guards, at the same moment — passes ``owner`` (the caller re-checks that row)."""

    allowed: bool
    owner: OwnerCheck | None = None


REFUSED = KeyCheck(False)
ALLOWED = KeyCheck(True)


def check_key(
    entity: Entity,
    principal: Principal,
    key: str,
    definitions: Definitions,
    source: ScopeSource,
    *,
    as_of: datetime | None,
) -> KeyCheck:
    """Whether ``key`` is reachable, without enumerating every reachable key when the rule allows
    a direct check (own row, public, or one owned row). With the row check the caller applies, the
    same answer as :func:`resolve_reach`.

    No store lookup here depends on ``key``: a refusal costs the same whether the key exists or
    not. An owned key must be one of the owner's candidates (:meth:`ScopeSource.candidates`), and
    its row must still name the owner (:attr:`KeyCheck.owner`) — an index that lags hides a key,
    never reveals one."""
    if principal.kind == "service":
        return ALLOWED
    scope = entity.scope
    if scope is None:
        return REFUSED
    if scope.kind == "public":
        return ALLOWED
    subject = principal.subject
    if subject is None:
        return REFUSED
    if scope.kind == "subject":
        return ALLOWED if key == subject else REFUSED
    if scope.kind == "owned_by":
        assert scope.view is not None
        assert scope.column is not None
        if key not in source.candidates(definitions.view(scope.view), scope.column, subject, as_of):
            return REFUSED
        return KeyCheck(True, OwnerCheck(scope.view, scope.column, subject))
    # ``through``: the reach is enumerated from the principal alone, whatever the key asked for.
    return ALLOWED if resolve_reach(entity, principal, definitions, source, as_of=as_of).allows(key) else REFUSED
