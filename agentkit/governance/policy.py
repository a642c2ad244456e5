"""Policy: which agent, for which roles, may read which features and call which tools.

Semantics (DESIGN.md): a feature is readable only if one of the principal's roles grants it AND
the agent grants it (intersection). A grant names a whole view or a single ``view.feature``.
Features tagged ``pii`` are denied unless the agent lists them under ``pii`` (clear) or ``mask``
(masked). Tools are denied unless the agent lists them. Everything unlisted is denied.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from agentkit.config import AgentConfig, PolicyConfig, ProjectConfig, RoleConfig
from agentkit.features.definitions import Definitions, Entity
from agentkit.governance.principal import Principal

__all__ = [
    "KNOWN_TOOLS",
    "Decision",
    "Grants",
    "Policy",
    "PolicyProblem",
    "PolicySnapshot",
    "mask_value",
]

KNOWN_TOOLS = ("search_help_center", "search_catalog", "get_features")
PII_TAG = "pii"


class PolicySnapshot(BaseModel):
    """The policy sections of ``agentkit.toml``, as ``apply`` records them."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    policy: PolicyConfig = PolicyConfig()
    roles: dict[str, RoleConfig] = Field(default_factory=dict)
    agents: dict[str, AgentConfig] = Field(default_factory=dict)
    extra_tools: tuple[str, ...] = ()

    @classmethod
    def from_config(cls, config: ProjectConfig) -> PolicySnapshot:
        return cls(policy=config.policy, roles=config.roles, agents=config.agents)

    def to_json(self) -> str:
        return self.model_dump_json()

    @classmethod
    def from_json(cls, text: str | None) -> PolicySnapshot:
        return cls.model_validate_json(text) if text else cls()


@dataclass(frozen=True, slots=True)
class Decision:
    ref: str
    allowed: bool
    reason: str
    """``allowed``, ``allowed_masked``, ``agent_unknown``, ``agent_not_granted``,
    ``role_not_granted``, ``pii_not_granted``, ``service``."""
    masked: bool = False


@dataclass(frozen=True, slots=True)
class Grants:
    """What one (agent, roles) pair may do, precomputed for the hot path."""

    readable: frozenset[str]
    masked: frozenset[str]
    views: frozenset[str]
    tools: frozenset[str]
    decisions: dict[str, Decision]


@dataclass(frozen=True, slots=True)
class PolicyProblem:
    key: str
    message: str


def mask_value(value: Any) -> Any:
    """Hide most of a value: ``ana@example.com`` -> ``a***@example.com``, others -> ``***``."""
    if value is None:
        return None
    text = str(value)
    if "@" in text:
        local, _, domain = text.partition("@")
        return f"{local[:1]}***@{domain}"
    digits = sum(c.isdigit() for c in text)
    if digits >= 6 and digits >= len(text) - 4:  # a phone or account number: keep the last two digits
        return f"{text[:1] if not text[0].isdigit() else ''}{'*' * max(3, len(text) - 3)}{text[-2:]}"
    return (text[:1] + "***") if len(text) > 4 else "***"


def _covers(grant_views: Iterable[str], grant_features: Iterable[str], view: str, ref: str) -> bool:
    return view in grant_views or ref in grant_features


class Policy:
    """A compiled policy over a set of definitions. Cheap to query; grants are cached."""

    def __init__(self, snapshot: PolicySnapshot, definitions: Definitions) -> None:
        self.snapshot = snapshot
        self.definitions = definitions
        self._cache: dict[tuple[str, tuple[str, ...]], Grants] = {}

    @cached_property
    def all_refs(self) -> tuple[str, ...]:
        return tuple(f"{v.name}.{f.name}" for v in self.definitions.views for f in v.features)

    @cached_property
    def pii_refs(self) -> frozenset[str]:
        return frozenset(f"{v.name}.{f.name}" for v in self.definitions.views for f in v.features if PII_TAG in f.tags)

    @property
    def max_rows(self) -> int:
        return self.snapshot.policy.max_rows

    @property
    def tenant_feature(self) -> str | None:
        return self.snapshot.policy.tenant_feature

    def roles_of(self, principal: Principal) -> tuple[str, ...]:
        return principal.roles or self.snapshot.policy.default_roles

    def grants(self, principal: Principal) -> Grants:
        roles = self.roles_of(principal)
        cache_key = (principal.agent, roles)
        cached = self._cache.get(cache_key)
        if cached is not None:
            return cached
        agent = self.snapshot.agents.get(principal.agent)
        decisions: dict[str, Decision] = {}
        for ref in self.all_refs:
            view = ref.split(".", 1)[0]
            decisions[ref] = self._decide(ref, view, agent, roles)
        readable = frozenset(r for r, d in decisions.items() if d.allowed)
        grants = Grants(
            readable=readable,
            masked=frozenset(r for r, d in decisions.items() if d.masked),
            views=frozenset(r.split(".", 1)[0] for r in readable),
            tools=frozenset(agent.tools) if agent else frozenset(),
            decisions=decisions,
        )
        self._cache[cache_key] = grants
        return grants

    def _decide(self, ref: str, view: str, agent: AgentConfig | None, roles: tuple[str, ...]) -> Decision:
        if agent is None:
            return Decision(ref, False, "agent_unknown")
        if not _covers(agent.views, agent.features, view, ref) and ref not in agent.pii and ref not in agent.mask:
            return Decision(ref, False, "agent_not_granted")
        role_ok = any(
            _covers(self.snapshot.roles[r].views, self.snapshot.roles[r].features, view, ref)
            for r in roles
            if r in self.snapshot.roles
        )
        if not role_ok:
            return Decision(ref, False, "role_not_granted")
        if ref in self.pii_refs:
            if ref in agent.pii:
                return Decision(ref, True, "allowed")
            if ref in agent.mask:
                return Decision(ref, True, "allowed_masked", masked=True)
            return Decision(ref, False, "pii_not_granted")
        return Decision(ref, True, "allowed")

    def decide(self, principal: Principal, ref: str) -> Decision:
        if principal.kind == "service":
            return Decision(ref, True, "service")
        return self.grants(principal).decisions.get(ref) or Decision(ref, False, "agent_not_granted")

    def tool_allowed(self, agent: str, tool: str) -> bool:
        config = self.snapshot.agents.get(agent)
        return config is not None and tool in config.tools

    def exposure(self, agent: str) -> frozenset[str]:
        """Every feature the agent can read for at least one configured role."""
        roles = tuple(self.snapshot.roles) or self.snapshot.policy.default_roles
        out: set[str] = set()
        for role in roles:
            out |= self.grants(Principal(agent=agent, subject="-", roles=(role,))).readable
        return frozenset(out)

    # --- validation (`agentkit policy check`) ------------------------------------------------------

    def problems(self, *, source: str = "agentkit.toml", tools: Iterable[str] = KNOWN_TOOLS) -> list[PolicyProblem]:
        known_tools = set(tools) | set(self.snapshot.extra_tools) | set(self.snapshot.policy.extra_tools)
        views = {v.name for v in self.definitions.views}
        refs = set(self.all_refs)
        out: list[PolicyProblem] = []

        def add(key: str, message: str) -> None:
            out.append(PolicyProblem(key, f"{source}: {message}"))

        def check_grant(section: str, grant_views: Iterable[str], grant_features: Iterable[str]) -> None:
            for view in grant_views:
                if view not in views:
                    add(f"{section}.views", f"{section}.views names unknown view '{view}'")
            for ref in grant_features:
                if ref not in refs:
                    add(f"{section}.features", f"{section}.features names unknown feature '{ref}'")

        used_roles: set[str] = set(self.snapshot.policy.default_roles)
        for name, role in self.snapshot.roles.items():
            check_grant(f"roles.{name}", role.views, role.features)
        for name, agent in self.snapshot.agents.items():
            section = f"agents.{name}"
            check_grant(section, agent.views, agent.features)
            for tool in agent.tools:
                if tool not in known_tools:
                    add(f"{section}.tools", f"{section}.tools names unknown tool '{tool}'")
            for kind, listed in (("pii", agent.pii), ("mask", agent.mask)):
                for ref in listed:
                    if ref not in refs:
                        add(f"{section}.{kind}", f"{section}.{kind} names unknown feature '{ref}'")
                    elif ref not in self.pii_refs:
                        out.append(
                            PolicyProblem(
                                f"{section}.{kind}",
                                f"{source}: {section}.{kind} lists '{ref}', which is not tagged pii",
                            )
                        )
            for ref in agent.features:
                if ref in self.pii_refs and ref not in agent.pii and ref not in agent.mask:
                    add(
                        f"{section}.features",
                        f"{section}.features grants PII feature '{ref}' without an explicit pii/mask grant "
                        "(it stays denied; add it to pii or mask, or remove it)",
                    )
        used_roles |= set(self.snapshot.policy.assignable_roles)
        for name, role in self.snapshot.roles.items():
            if name not in used_roles:
                add(f"roles.{name}", f"role '{name}' is never used (not in policy.default_roles or assignable_roles)")
            elif not role.views and not role.features:
                add(f"roles.{name}", f"role '{name}' grants nothing")
        for role in self.snapshot.policy.default_roles:
            if self.snapshot.roles and role not in self.snapshot.roles:
                add("policy.default_roles", f"policy.default_roles names undefined role '{role}'")
        out += [PolicyProblem(f"entity.{e.name}", m) for e, m in scope_problems(self.definitions)]
        return out


def scope_problems(definitions: Definitions) -> list[tuple[Entity, str]]:
    """Scope rules that point at unknown views, columns or entities."""
    out: list[tuple[Entity, str]] = []
    views = definitions.by_view()
    entities = {e.name for e in definitions.entities}
    for entity in definitions.entities:
        scope = entity.scope
        if scope is None or scope.kind in ("subject", "public"):
            continue
        view = views.get(scope.view or "")
        if view is None:
            out.append((entity, f"entity '{entity.name}': scope names unknown view '{scope.view}'"))
            continue
        if scope.column not in view.feature_names:
            out.append((entity, f"entity '{entity.name}': scope column '{scope.view}.{scope.column}' is not a feature"))
        if scope.kind == "owned_by" and view.entity.name != entity.name:
            out.append(
                (entity, f"entity '{entity.name}': owned_by view '{view.name}' is not a view of '{entity.name}'")
            )
        if scope.kind == "through":
            if scope.entity not in entities:
                out.append((entity, f"entity '{entity.name}': scope goes through unknown entity '{scope.entity}'"))
            elif view.entity.name != scope.entity:
                out.append((entity, f"entity '{entity.name}': view '{view.name}' is not a view of '{scope.entity}'"))
    return out


def snapshot_json(config: ProjectConfig) -> str:
    return json.dumps(json.loads(PolicySnapshot.from_config(config).to_json()), sort_keys=True)
