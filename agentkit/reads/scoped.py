"""The scoped read every agent-facing surface uses: policy, scope, read, mask, cap, audit.

Only what this principal's roles AND agent may read, only rows in the principal's scope (and
tenant), masked where the policy says, at most ``[policy] max_rows`` rows, audited whatever the
outcome. Scope and tenant are checked against the same data as the read: live, or as of t on the
read's own snapshots.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from agentkit.errors import AgentkitError, NotFoundError, PolicyError
from agentkit.features.definitions import Definitions, Entity
from agentkit.features.results import FeatureRow, FeatureRows
from agentkit.governance.audit import AuditRecord
from agentkit.governance.explain import Explanation, denied_message
from agentkit.governance.policy import Policy, mask_value
from agentkit.governance.principal import Principal
from agentkit.governance.scope import OwnerCheck, check_key, resolve_reach
from agentkit.reads.as_of import parse_as_of
from agentkit.reads.host import ReadHost
from agentkit.reads.raw import RawReader, one_entity
from agentkit.reads.sources import scope_source

__all__ = ["GrantPlan", "ScopedReader"]

_MAX_GRANT_PLANS = 4096


@dataclass(frozen=True, slots=True)
class GrantPlan:
    """The policy's answer for (features, agent, roles): what to read, what to mask, or a denial."""

    by_view: dict[str, tuple[str, ...]]
    refs: tuple[str, ...]
    entity: Entity
    masked: frozenset[str]
    denied: str | None = None
    code: str = ""
    reason: str = ""

    @classmethod
    def deny(cls, message: str, code: str, reason: str) -> GrantPlan:
        return cls(
            {}, (), Entity(name="denied", join_key="denied", description="-"), frozenset(), message, code, reason
        )


class ScopedReader:
    """Scoped reads over a host, through its raw reader, with grant plans cached per applied version."""

    def __init__(self, host: ReadHost, raw: RawReader) -> None:
        self._host = host
        self._raw = raw
        self._grant_plans: dict[tuple[object, ...], tuple[Definitions, GrantPlan]] = {}

    def get_features(
        self,
        principal: Principal,
        features: Sequence[str],
        *,
        entity_key: str | None = None,
        as_of: datetime | str | None = None,
        surface: str = "python",
        tool: str | None = "get_features",
    ) -> FeatureRows:
        """The scoped read (see :meth:`agentkit.Project.get_features`)."""
        started = time.perf_counter_ns()
        record = AuditRecord(
            agent=principal.agent,
            principal_kind=principal.kind,
            subject=principal.subject,
            surface=surface,
            tool=tool,
            features=list(features),
            decision="deny",
            reason="",
            requested_key=entity_key if entity_key is None or len(entity_key) <= 200 else entity_key[:200] + "…",
            tenant=principal.tenant,
        )
        try:
            record.as_of = when = parse_as_of(as_of) if as_of is not None else None
            rows = self._scoped(principal, features, entity_key, when, record)
            record.decision, record.reason = "allow", record.reason or "allowed"
            record.keys_served = [r.key for r in rows.rows]
            record.snapshots = sorted({p.snapshot_id for r in rows.rows for p in r.provenance if p.snapshot_id})
            return rows
        except AgentkitError as exc:
            record.reason = record.reason or exc.code
            raise
        finally:
            record.latency_us = (time.perf_counter_ns() - started) // 1000
            self._host.audit.write(record)

    def _scoped(
        self,
        principal: Principal,
        features: Sequence[str],
        entity_key: str | None,
        as_of: datetime | None,
        record: AuditRecord,
    ) -> FeatureRows:
        definitions = self._host.applied().definitions
        policy = self._host.policy()
        if not features:
            raise PolicyError("name at least one feature, e.g. order_status.status", code="no_features")
        grant = self._grant_plan(definitions, policy, principal, features)
        if grant.denied is not None:
            record.reason = grant.reason
            raise PolicyError(grant.denied, code=grant.code)
        by_view, refs, entity, masked = grant.by_view, grant.refs, grant.entity, grant.masked
        if principal.kind != "service" and principal.subject is None:
            record.reason = "no_subject"
            raise PolicyError("this request has no end user, so it cannot read customer data", code="no_subject")
        tenant_feature = policy.tenant_feature
        if tenant_feature and principal.kind != "service" and principal.tenant is None:
            record.reason = "tenant_required"
            raise PolicyError("this request has no tenant, so it cannot read customer data", code="tenant_required")
        source, snapshots = scope_source(self._host, definitions, as_of)

        def not_found() -> NotFoundError:
            return NotFoundError(f"no {entity.name} '{entity_key}' is available to you", code="record_not_found")

        owner: OwnerCheck | None = None
        if entity_key is not None:
            # Decided without looking up the key's row: a refusal takes the same time whether the
            # key is another customer's or nobody's. An owned key is re-checked on the row read below.
            check = check_key(entity, principal, entity_key, definitions, source, as_of=as_of)
            if not check.allowed:
                record.reason = "out_of_scope"
                raise not_found()
            keys, owner = [entity_key], check.owner
        else:
            reach = resolve_reach(entity, principal, definitions, source, as_of=as_of)
            if reach.everything:
                raise PolicyError(f"name the {entity.name} to read (entity_key)", code="key_required")
            keys = sorted(reach.keys)
        read_refs = refs if owner is None or owner.ref in refs else (*refs, owner.ref)
        pinned: dict[str, int] | None = None
        if snapshots:
            views = by_view if owner is None else {*by_view, owner.view}
            pinned = {k: v for k, v in snapshots.items() if v is not None and k in views} or None
        rows = self._raw.read(read_refs, keys, as_of=as_of, snapshots=pinned, definitions=definitions)
        kept = list(rows.rows)
        if owner is not None:
            kept = _owned(kept, owner, refs, by_view)
            if not kept:
                record.reason = "out_of_scope"
                raise not_found()
        if tenant_feature and kept and principal.kind != "service":
            kept = self._same_tenant(kept, definitions, by_view, principal.tenant, tenant_feature, as_of, pinned)
        if entity_key is not None and not kept:
            record.reason = "no_such_key"
            raise not_found()
        if entity_key is None:
            kept.sort(key=lambda r: max(p.event_time for p in r.provenance), reverse=True)
            kept = kept[: policy.max_rows]
        if masked:
            kept = [
                FeatureRow(r.key, {k: (mask_value(v) if k in masked else v) for k, v in r.values.items()}, r.provenance)
                for r in kept
            ]
        # Warnings count keys in this principal's reach only; under tenant scoping a key may be another tenant's.
        warnings = rows.warnings if not (tenant_feature and principal.kind != "service") else ()
        return FeatureRows(rows.entity, refs, tuple(kept), (), as_of, warnings)

    def _same_tenant(
        self,
        rows: list[FeatureRow],
        definitions: Definitions,
        by_view: Mapping[str, tuple[str, ...]],
        tenant: str | None,
        tenant_feature: str,
        as_of: datetime | None,
        snapshots: Mapping[str, int] | None,
    ) -> list[FeatureRow]:
        """The rows whose tenant, in every read view that has the tenant feature, is ``tenant`` —
        read at the same moment and on the same snapshots as the rows themselves."""
        keys = [r.key for r in rows]
        for view_name in by_view:
            if tenant_feature not in definitions.view(view_name).feature_names:
                continue
            ref = f"{view_name}.{tenant_feature}"
            found = self._raw.read([ref], keys, as_of=as_of, snapshots=snapshots, definitions=definitions).rows
            same = {r.key for r in found if r.values.get(ref) == tenant}
            rows = [r for r in rows if r.key in same]
        return rows

    def _grant_plan(
        self, definitions: Definitions, policy: Policy, principal: Principal, features: Sequence[str]
    ) -> GrantPlan:
        """Policy decisions for (features, agent, roles), computed once per applied version."""
        roles = policy.roles_of(principal) if principal.kind != "service" else ("*service*",)
        key = (tuple(features), principal.agent, roles, principal.kind)
        hit = self._grant_plans.get(key)
        if hit is not None and hit[0] is definitions:
            return hit[1]
        plan = _compile_grant(definitions, policy, principal, features)
        if len(self._grant_plans) > _MAX_GRANT_PLANS:
            self._grant_plans.clear()
        self._grant_plans[key] = (definitions, plan)
        return plan

    def explain(self, principal: Principal, as_of: datetime | None) -> Explanation:
        """What this agent may read for this user, and why: the decisions and the reach a scoped
        read at ``as_of`` would apply."""
        definitions = self._host.applied().definitions
        policy = self._host.policy()
        decisions = [policy.decide(principal, ref) for ref in policy.all_refs]
        source, _ = scope_source(self._host, definitions, as_of)
        reach = {e.name: resolve_reach(e, principal, definitions, source, as_of=as_of) for e in definitions.entities}
        agents = policy.snapshot.agents
        tools = sorted(agents[principal.agent].tools) if principal.agent in agents else []
        return Explanation(principal, decisions, reach, tools, as_of)


def _owned(
    rows: list[FeatureRow], owner: OwnerCheck, refs: tuple[str, ...], views: Mapping[str, object]
) -> list[FeatureRow]:
    """The rows whose owner column, read with them, still names the principal. When that column
    was read for the check only, it is dropped again — with its view's provenance, and with rows
    that only that view had."""
    ref, value = owner.ref, owner.value
    if ref in refs:
        return [r for r in rows if r.values.get(ref) == value]
    extra_view = owner.view not in views
    out: list[FeatureRow] = []
    for row in rows:
        if row.values.get(ref) != value:
            continue
        provenance = row.provenance
        if extra_view:
            provenance = tuple(p for p in provenance if p.view in views)
            if not provenance:
                continue
        values = dict(row.values)
        del values[ref]
        out.append(FeatureRow(row.key, values, provenance))
    return out


def _compile_grant(
    definitions: Definitions, policy: Policy, principal: Principal, features: Sequence[str]
) -> GrantPlan:
    try:
        by_view = definitions.resolve(features)
    except NotFoundError:
        # Unknown and forbidden features look the same to an agent: no catalog oracle.
        return GrantPlan.deny(denied_message(features), "feature_denied", "feature_unknown")
    refs = tuple(f"{v}.{f}" for v, names in by_view.items() for f in names)
    masked = frozenset[str]()
    if principal.kind != "service":
        grants = policy.grants(principal)
        denied = [r for r in refs if r not in grants.readable]
        if denied:
            return GrantPlan.deny(denied_message(denied), "feature_denied", grants.decisions[denied[0]].reason)
        masked = frozenset(r for r in refs if r in grants.masked)
    return GrantPlan(by_view, refs, definitions.entity(one_entity(definitions, by_view, features)), masked)
