"""``Project``: the composition root. It loads ``agentkit.toml``, owns the stores and the one read path.

Platform operations (plan, apply, ingest, materialize, push, compact) talk to the Iceberg catalog.
Reads go through :meth:`Project._read`, the single place every feature read passes through;
serving reads need only the online store (which keeps a copy of the applied definitions), so a
fresh process answers without touching the catalog.
"""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa

from agentkit.config import CONFIG_FILE, ProjectConfig, load_config
from agentkit.errors import AgentkitError, AsOfError, DefinitionError, NotFoundError, PlanError, PolicyError
from agentkit.features.definitions import AVAILABLE_AT, Definitions, Entity, FeatureView, load_definitions
from agentkit.features.offline import OfflineStore, SnapshotInfo
from agentkit.features.online import OnlineRow, OnlineStore, RegistryCopy, open_online_store
from agentkit.features.plan import Plan, diff
from agentkit.features.results import (
    ApplyResult,
    FeatureRow,
    FeatureRows,
    IngestResult,
    MaterializeResult,
    Provenance,
    ViewStatus,
)
from agentkit.features.schema import coerce_table, parse_time, pylist
from agentkit.features.sources import read_data_file
from agentkit.governance.audit import AuditLog, AuditRecord
from agentkit.governance.auditstore import commit_spool, query_audit
from agentkit.governance.explain import Explanation, denied_message, exposure_changes
from agentkit.governance.policy import Policy, PolicyProblem, PolicySnapshot, mask_value, scope_problems
from agentkit.governance.principal import Principal
from agentkit.governance.scope import ScopeSource, key_in_reach, resolve_reach
from agentkit.retrieval.catalog import CatalogHit, SemanticCatalog
from agentkit.retrieval.embedder import Embedder, HashingEmbedder, MiniLMEmbedder
from agentkit.retrieval.embedding_cache import CachedEmbedder, EmbeddingCache
from agentkit.retrieval.index import DocumentIndex
from agentkit.retrieval.results import DocumentHit
from agentkit.scoping import OfflineScopeSource, OnlineScopeSource

__all__ = ["Applied", "Project", "parse_as_of"]

log = logging.getLogger(__name__)
REGISTRY_RECHECK = 1.0
"""Seconds between checks for a newer applied version in long-running processes."""
Progress = Callable[[str, int, int], None]
"""``progress(view, done, total)`` callbacks for long operations (the CLI draws a bar)."""


@dataclass(frozen=True, slots=True)
class _ReadPart:
    view: FeatureView
    names: tuple[str, ...]
    refs: tuple[str, ...]
    durations: tuple[bool, ...]
    """Per feature, whether it is a duration (empty when none is)."""


@dataclass(frozen=True, slots=True)
class _ReadPlan:
    entity: str
    refs: tuple[str, ...]
    parts: tuple[_ReadPart, ...]


@dataclass(frozen=True, slots=True)
class _GrantPlan:
    by_view: dict[str, tuple[str, ...]]
    refs: tuple[str, ...]
    entity: Entity
    masked: frozenset[str]
    denied: str | None = None
    code: str = ""
    reason: str = ""

    @classmethod
    def deny(cls, message: str, code: str, reason: str) -> _GrantPlan:
        return cls(
            {}, (), Entity(name="denied", join_key="denied", description="-"), frozenset(), message, code, reason
        )


@dataclass(frozen=True, slots=True)
class Applied:
    version: int
    definitions: Definitions
    policy: str | None


def parse_as_of(value: str | datetime | None, *, now: datetime | None = None) -> datetime | None:
    """Validate an ``as_of``: timezone-aware, parsable, not in the future."""
    if value is None:
        return None
    try:
        when = parse_time(value, naive_ok=False)
    except ValueError as exc:
        raise AsOfError(
            f"as_of {value!s}: {exc}"
            if "timezone" in str(exc)
            else f"as_of {value!r} is not an ISO 8601 time; use e.g. 2026-11-01T12:00:00Z",
            code="as_of_invalid",
        ) from exc
    current = now or datetime.now(UTC)
    if when > current + timedelta(seconds=1):
        raise AsOfError(
            f"as_of {when.isoformat()} is in the future (now {current.isoformat(timespec='seconds')}); "
            "a read can only see what was known at a past time",
            code="as_of_future",
        )
    return when


class Project:
    """An agentkit project: its config, definitions, offline and online stores."""

    def __init__(
        self,
        config: ProjectConfig,
        *,
        definitions: Definitions | None = None,
        online: OnlineStore | None = None,
        offline: OfflineStore | None = None,
        embedder: Embedder | None = None,
    ) -> None:
        self.config = config
        self._desired = definitions
        self._online = online
        self._offline = offline
        self._applied: Applied | None = None
        self._applied_checked = 0.0
        self._preview: Applied | None = None
        self._audit: AuditLog | None = None
        self._policy: tuple[int, Policy] | None = None
        self._plans: dict[tuple[str, ...], tuple[Definitions, _ReadPlan]] = {}
        self._grant_plans: dict[tuple[object, ...], tuple[Definitions, _GrantPlan]] = {}
        self._embedder: Embedder | None = embedder
        self._docs: DocumentIndex | None = None
        self._catalog: tuple[int, SemanticCatalog] | None = None

    @classmethod
    def load(cls, path: str | Path = CONFIG_FILE) -> Project:
        return cls(load_config(path))

    @property
    def root(self) -> Path:
        return self.config.root

    @property
    def offline(self) -> OfflineStore:
        if self._offline is None:
            self._offline = OfflineStore(self.config)
        return self._offline

    @property
    def online(self) -> OnlineStore:
        if self._online is None:
            self._online = open_online_store(self.config)
        return self._online

    def close(self) -> None:
        if self._audit is not None:
            self._audit.close()
        if self._online is not None:
            self._online.close()

    def __enter__(self) -> Project:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- definitions ------------------------------------------------------------------------------

    @property
    def definitions(self) -> Definitions:
        """The definitions on disk (what the next ``apply`` would record)."""
        if self._desired is None:
            self._desired = load_definitions(self.config.resolve(self.config.project.definitions))
        return self._desired

    def applied(self, *, refresh: bool = False) -> Applied:
        """The applied definitions: what reads and the server enforce (not the file on disk).

        A long-running process (the server) notices a newer ``apply`` within ``REGISTRY_RECHECK``
        seconds: it re-reads the registry copy's version at most that often.
        """
        if self._preview is not None:
            return self._preview
        if self._applied is not None and not refresh:
            now = time.monotonic()
            if now - self._applied_checked < REGISTRY_RECHECK:
                return self._applied
            self._applied_checked = now
            latest = self.online.registry()
            if latest is None or latest.version == self._applied.version:
                return self._applied
        self._applied_checked = time.monotonic()
        copy = self.online.registry()
        if copy is None or refresh:
            recorded = self.offline.applied()
            if recorded is None:
                raise NotFoundError("nothing has been applied yet; run `agentkit apply` first", code="not_applied")
            copy = RegistryCopy(*recorded)
            self.online.publish_registry(copy)
        self._applied = Applied(copy.version, Definitions.from_json(copy.definitions), copy.policy)
        return self._applied

    def preview(self) -> Project:
        """This project as if the definitions and policy on disk were applied — nothing is written.

        Reads go to the same stores (features the tables don't have yet read as empty); the catalog,
        the policy and the agent's tools follow the planned definitions. Used to evaluate a change
        before ``apply`` (``agentkit plan --eval``).
        """
        clone = Project(
            self.config, definitions=self.definitions, online=self.online, offline=self.offline, embedder=self._embedder
        )
        clone._docs = self._docs
        clone._preview = Applied(-1, self.definitions, self._policy_json())
        return clone

    def _applied_or_none(self) -> Applied | None:
        recorded = self.offline.applied()
        if recorded is None:
            return None
        return Applied(recorded[0], Definitions.from_json(recorded[1]), recorded[2])

    # --- plan / apply ---------------------------------------------------------------------------------

    def plan(self) -> Plan:
        """Definitions diff plus, per agent, the features it newly gains or loses."""
        applied = self._applied_or_none()
        plan = diff(
            applied.definitions if applied else None,
            self.definitions,
            applied_version=applied.version if applied else None,
        )
        old_policy = Policy(PolicySnapshot.from_json(applied.policy), applied.definitions) if applied else None
        new_policy = Policy(PolicySnapshot.from_config(self.config), self.definitions)
        exposure = exposure_changes(old_policy, new_policy)
        notes = tuple(f"  problem: {p.message}" for p in new_policy.problems(source=str(self._config_file)))
        return Plan(plan.changes + exposure, plan.applied_version, notes)

    @property
    def _config_file(self) -> Path:
        return self.root / CONFIG_FILE

    def _policy_json(self) -> str | None:
        """The policy recorded alongside the definitions (what the server enforces)."""
        return PolicySnapshot.from_config(self.config).to_json()

    def apply(self, *, allow_destructive: bool = False) -> ApplyResult:
        """Create and evolve tables to match the definitions, then record them as a new version."""
        plan = self.plan()
        if plan.destructive and not allow_destructive:
            names = ", ".join(f"{c.target} {c.name}" for c in plan.destructive)
            raise PlanError(
                f"apply refused {len(plan.destructive)} destructive change(s): {names}; run "
                "`agentkit plan` to review them and `agentkit apply --allow-destructive` to proceed",
                code="destructive_change",
            )
        scope_errors = scope_problems(self.definitions)
        if scope_errors:
            raise DefinitionError("; ".join(m for _, m in scope_errors), code="scope_invalid")
        policy = self._policy_json()
        applied = self._applied_or_none()
        if not any(c.target != "exposure" for c in plan.changes) and applied is not None and applied.policy == policy:
            self.online.publish_registry(RegistryCopy(applied.version, applied.definitions.to_json(), policy))
            return ApplyResult(version=None, changes=0)
        store = self.offline
        desired = self.definitions.by_view()
        created: list[str] = []
        evolved: list[str] = []
        dropped: list[str] = []
        for change in plan.changes:
            if change.target == "exposure":
                continue
            view_name = change.name.split(".", 1)[0]
            if change.action == "create_table":
                store.create_table(desired[view_name])
                created.append(view_name)
            elif change.action == "drop_table":
                store.drop_table(view_name)
                self.online.drop(view_name)
                dropped.append(view_name)
            elif change.action == "recreate_table":
                store.drop_table(view_name)
                self.online.drop(view_name)
                store.create_table(desired[view_name])
                created.append(view_name)
            elif change.action == "drop_column":
                store.drop_columns(view_name, [change.name.split(".", 1)[1]])
                evolved.append(view_name)
            elif change.action == "reset_column":
                store.drop_columns(view_name, [change.name.split(".", 1)[1]])
                store.add_columns(desired[view_name])
                evolved.append(view_name)
        for view_name in {c.name.split(".", 1)[0] for c in plan.changes if c.action == "add_column"}:
            store.add_columns(desired[view_name])
            evolved.append(view_name)
        # Tables that should exist but don't (e.g. dropped by hand) are recreated.
        for name, view in desired.items():
            if name not in created and not store.has_table(name):
                store.create_table(view)
                created.append(name)
        definitions_json = self.definitions.to_json()
        version = store.record_apply(definitions_json, policy, note=f"{len(plan.changes)} change(s)")
        self.online.publish_registry(RegistryCopy(version, definitions_json, policy))
        self._applied = None
        return ApplyResult(
            version=version,
            changes=len(plan.changes),
            created=tuple(created),
            evolved=tuple(sorted(set(evolved))),
            dropped=tuple(dropped),
        )

    # --- writes ---------------------------------------------------------------------------------------

    def _platform_view(self, name: str) -> FeatureView:
        return self.applied(refresh=True).definitions.view(name)

    def ingest(
        self,
        view: str,
        data: pa.Table | str | Path,
        *,
        available_at: datetime | str | None = None,
        upsert: bool = False,
    ) -> IngestResult:
        """Validate and append rows to a view's Iceberg table in one atomic commit.

        ``available_at`` backfills history (when the platform could have known the rows); an
        ``_available_at`` column sets it per row. ``upsert`` replaces rows with the same key and
        event time instead of appending.
        """
        fv = self._platform_view(view)
        source = "data"
        offset = 1
        if isinstance(data, (str, Path)):
            source = str(data)
            table, offset = read_data_file(Path(data))
        else:
            table = data
        when = parse_as_of(available_at) if isinstance(available_at, str) else available_at
        rows = coerce_table(
            fv, table, available_at=when, ingested_at=datetime.now(UTC), row_offset=offset, source=source
        )
        snapshot = self.offline.upsert(fv, rows) if upsert else self.offline.append(fv, rows)
        return IngestResult(view, rows.num_rows, snapshot, "upsert" if upsert else "append")

    def push(self, view: str, rows: pa.Table | Sequence[Mapping[str, Any]]) -> IngestResult:
        """Real-time update: append to Iceberg, then merge into the online store at once."""
        fv = self.applied().definitions.view(view)
        table = rows if isinstance(rows, pa.Table) else pa.Table.from_pylist([dict(r) for r in rows])
        canonical = coerce_table(fv, table, available_at=None, ingested_at=datetime.now(UTC), source=f"push {view}")
        snapshot = self.offline.append(fv, canonical)
        self.online.write(fv, canonical, snapshot_id=snapshot, replace=False, pushed=True)
        return IngestResult(view, canonical.num_rows, snapshot, "push")

    def materialize(
        self,
        views: Iterable[str] | None = None,
        *,
        full: bool = False,
        progress: Progress | None = None,
    ) -> list[MaterializeResult]:
        """Latest value per key from the current snapshot into the online store.

        Incremental when only appends happened since the recorded snapshot; otherwise (or with
        ``full``) the view is rebuilt from the whole current snapshot.
        """
        applied = self.applied(refresh=True)
        names = list(views) if views is not None else [v.name for v in applied.definitions.views]
        results: list[MaterializeResult] = []
        for i, name in enumerate(names):
            view = applied.definitions.view(name)
            started = time.perf_counter()
            current = self.offline.current_snapshot_id(name)
            state = self.online.state(name)
            recorded = state.snapshot_id if state is not None else None
            mode = "full"
            rows: pa.Table | None = None
            if current is None:
                mode, rows = "up-to-date", None
            elif not full and recorded is not None and state is not None and not state.pushed and recorded == current:
                mode = "up-to-date"
            elif not full and recorded is not None:
                rows = self.offline.scan_appended(view, recorded)
                mode = "incremental" if rows is not None else "full"
            if mode == "full" and current is not None:
                rows = self.offline.scan(view, snapshot_id=current)
            keys = state.rows if state is not None else 0
            if rows is not None:
                keys = self.online.write(view, rows, snapshot_id=current, replace=(mode == "full"))
            results.append(
                MaterializeResult(
                    view=name,
                    snapshot_id=current,
                    mode=mode,
                    rows_read=rows.num_rows if rows is not None else 0,
                    keys=keys,
                    seconds=time.perf_counter() - started,
                )
            )
            if progress is not None:
                progress(name, i + 1, len(names))
        return results

    # --- the read path --------------------------------------------------------------------------------

    def read_features_unscoped(
        self,
        features: Sequence[str],
        keys: Sequence[str],
        *,
        as_of: datetime | str | None = None,
        snapshots: Mapping[str, int] | None = None,
    ) -> FeatureRows:
        """Unscoped read for platform code: the given keys' values, live or point-in-time.

        Never expose this to an agent-facing surface: it checks no principal, policy or scope. Agents
        and anything acting for an end user read through :meth:`get_features`.
        """
        started = time.perf_counter_ns()
        when = parse_as_of(as_of)
        record = AuditRecord(
            agent="platform",
            principal_kind="service",
            subject=None,
            surface="platform",
            tool=None,
            features=list(features),
            decision="allow",
            reason="service",
            as_of=when,
        )
        try:
            rows = self._read(features, keys, as_of=when, snapshots=snapshots)
        except AgentkitError as exc:
            record.decision, record.reason = "deny", exc.code
            raise
        finally:
            record.latency_us = (time.perf_counter_ns() - started) // 1000
            self.audit.write(record)
        record.keys_served = [r.key for r in rows.rows]
        return rows

    def read_features(
        self,
        features: Sequence[str],
        keys: Sequence[str],
        *,
        as_of: datetime | str | None = None,
        snapshots: Mapping[str, int] | None = None,
    ) -> FeatureRows:
        """Deprecated alias of :meth:`read_features_unscoped` (renamed so the danger is in the name)."""
        warnings.warn(
            "Project.read_features is deprecated: it is the unscoped platform read, now named "
            "read_features_unscoped; agents must read through get_features",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.read_features_unscoped(features, keys, as_of=as_of, snapshots=snapshots)

    # --- the user-scoped read path (every agent-facing surface uses this) -------------------------

    @property
    def audit(self) -> AuditLog:
        if self._audit is None:
            self._audit = AuditLog(self.config.state_dir / "audit")
        return self._audit

    def policy(self) -> Policy:
        """The applied policy over the applied definitions (not the files on disk)."""
        applied = self.applied()
        if self._policy is None or self._policy[0] != applied.version:
            self._policy = (applied.version, Policy(PolicySnapshot.from_json(applied.policy), applied.definitions))
        return self._policy[1]

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
        """The scoped read: only what this principal's roles AND agent may read, only rows in the
        principal's scope, masked where the policy says, audited whatever the outcome.

        Without ``entity_key`` it returns the principal's own rows of the entity (their customer
        row; their most recent orders, at most ``[policy] max_rows``). A key outside the
        principal's scope and a key that does not exist raise the same error.
        """
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
            record.as_of = when = parse_as_of(as_of)
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
            self.audit.write(record)

    def _scoped(
        self,
        principal: Principal,
        features: Sequence[str],
        entity_key: str | None,
        as_of: datetime | None,
        record: AuditRecord,
    ) -> FeatureRows:
        definitions = self.applied().definitions
        policy = self.policy()
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
        snapshots: dict[str, int | None] | None = None
        if as_of is not None:
            snapshots = {v.name: self.offline.current_snapshot_id(v.name) for v in definitions.views}
            source: ScopeSource = OfflineScopeSource(self.offline, snapshots)
        else:
            source = OnlineScopeSource(self.online)

        def not_found() -> NotFoundError:
            return NotFoundError(f"no {entity.name} '{entity_key}' is available to you", code="record_not_found")

        if entity_key is not None:
            if not key_in_reach(entity, principal, entity_key, definitions, source, as_of=as_of):
                record.reason = "out_of_scope"
                raise not_found()
            keys = [entity_key]
        else:
            reach = resolve_reach(entity, principal, definitions, source, as_of=as_of)
            if reach.everything:
                raise PolicyError(f"name the {entity.name} to read (entity_key)", code="key_required")
            keys = sorted(reach.keys)
        pinned = {k: v for k, v in snapshots.items() if v is not None and k in by_view} if snapshots else None
        rows = self._read(refs, keys, as_of=as_of, snapshots=pinned or None)
        kept = list(rows.rows)
        if tenant_feature:
            kept = [r for r in kept if self._tenant_ok(r, definitions, by_view, principal, tenant_feature)]
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
        return FeatureRows(rows.entity, rows.features, tuple(kept), (), as_of)

    def _grant_plan(
        self, definitions: Definitions, policy: Policy, principal: Principal, features: Sequence[str]
    ) -> _GrantPlan:
        """Policy decisions for (features, agent, roles), computed once per applied version."""
        roles = policy.roles_of(principal) if principal.kind != "service" else ("*service*",)
        key = (tuple(features), principal.agent, roles, principal.kind)
        hit = self._grant_plans.get(key)
        if hit is not None and hit[0] is definitions:
            return hit[1]
        plan = self._compile_grant(definitions, policy, principal, features)
        if len(self._grant_plans) > 4096:
            self._grant_plans.clear()
        self._grant_plans[key] = (definitions, plan)
        return plan

    def _compile_grant(
        self, definitions: Definitions, policy: Policy, principal: Principal, features: Sequence[str]
    ) -> _GrantPlan:
        try:
            by_view = definitions.resolve(features)
        except NotFoundError:
            # Unknown and forbidden features look the same to an agent: no catalog oracle.
            return _GrantPlan.deny(denied_message(features), "feature_denied", "feature_unknown")
        refs = tuple(f"{v}.{f}" for v, names in by_view.items() for f in names)
        masked = frozenset[str]()
        if principal.kind != "service":
            grants = policy.grants(principal)
            denied = [r for r in refs if r not in grants.readable]
            if denied:
                return _GrantPlan.deny(denied_message(denied), "feature_denied", grants.decisions[denied[0]].reason)
            masked = frozenset(r for r in refs if r in grants.masked)
        entities = {definitions.view(v).entity.name for v in by_view}
        if len(entities) > 1:
            message = "get_features reads one entity per call; split the features by entity"
            return _GrantPlan.deny(message, "mixed_entities", "mixed_entities")
        return _GrantPlan(by_view, refs, definitions.entity(entities.pop()), masked)

    def _tenant_ok(
        self,
        row: FeatureRow,
        definitions: Definitions,
        by_view: Mapping[str, tuple[str, ...]],
        principal: Principal,
        tenant_feature: str | None,
    ) -> bool:
        if not tenant_feature or principal.kind == "service":
            return True
        for view_name in by_view:
            view = definitions.view(view_name)
            if tenant_feature in view.feature_names:
                tenant = self._read([f"{view_name}.{tenant_feature}"], [row.key], as_of=None).rows
                value = tenant[0].values.get(f"{view_name}.{tenant_feature}") if tenant else None
                if value != principal.tenant:
                    return False
        return True

    def explain(self, principal: Principal, *, as_of: datetime | str | None = None) -> Explanation:
        """What this agent may read for this user, and why (`agentkit policy explain`)."""
        when = parse_as_of(as_of)
        definitions = self.applied().definitions
        policy = self.policy()
        decisions = [policy.decide(principal, ref) for ref in policy.all_refs]
        source: ScopeSource
        if when is not None:
            snapshots = {v.name: self.offline.current_snapshot_id(v.name) for v in definitions.views}
            source = OfflineScopeSource(self.offline, snapshots)
        else:
            source = OnlineScopeSource(self.online)
        reach = {e.name: resolve_reach(e, principal, definitions, source, as_of=when) for e in definitions.entities}
        tools = (
            sorted(policy.snapshot.agents[principal.agent].tools) if principal.agent in policy.snapshot.agents else []
        )
        return Explanation(principal, decisions, reach, tools, when)

    def check_policy(self) -> list[PolicyProblem]:
        """Problems in the policy of ``agentkit.toml`` against the applied definitions."""
        applied = self.applied(refresh=True)
        policy = Policy(PolicySnapshot.from_config(self.config), applied.definitions)
        return policy.problems(source=str(self._config_file))

    # --- retrieval: embedder, help-center index, semantic catalog ---------------------------------

    @property
    def embedder(self) -> Embedder:
        """The configured embedder, with a persistent cache keyed by (model id, text hash)."""
        if self._embedder is None:
            settings = self.config.retrieval
            base: Embedder = (
                HashingEmbedder() if settings.embedder == "hashing" else MiniLMEmbedder(threads=settings.torch_threads)
            )
            cache = EmbeddingCache(self.config.state_dir / "embeddings.sqlite")
            self._embedder = CachedEmbedder(base, cache)
        return self._embedder

    @property
    def docs(self) -> DocumentIndex:
        """The project's help-center index (empty until `agentkit docs index`)."""
        if self._docs is None:
            directory = self.config.resolve(self.config.retrieval.index_dir)
            try:
                self._docs = DocumentIndex.load(directory, self.embedder)
            except NotFoundError:
                self._docs = DocumentIndex(self.embedder)
        return self._docs

    def save_docs(self) -> None:
        self.docs.save(self.config.resolve(self.config.retrieval.index_dir))

    def catalog(self) -> SemanticCatalog:
        """The semantic catalog over the applied definitions (rebuilt when they change)."""
        applied = self.applied()
        if self._catalog is None or self._catalog[0] != applied.version:
            self._catalog = (applied.version, SemanticCatalog(applied.definitions, self.embedder))
        return self._catalog[1]

    def search_catalog(self, principal: Principal, intent: str, *, k: int = 8) -> list[CatalogHit]:
        """Features that fit ``intent`` among those this principal's agent may read (restricted
        before ranking: a feature it may not read is never named)."""
        readable = None if principal.kind == "service" else self.policy().grants(principal).readable
        return self.catalog().search(intent, readable=readable, k=k)

    def search_docs(self, query: str, *, k: int = 5, as_of: datetime | str | None = None) -> list[DocumentHit]:
        """Help-center passages for ``query`` (as the corpus was at ``as_of``)."""
        return self.docs.search(query, k, as_of=parse_as_of(as_of))

    def commit_audit(self) -> int:
        """Move spooled audit records into the ``_audit`` Iceberg table; returns how many."""
        return commit_spool(self.audit, self.offline)

    def query_audit(self, sql: str) -> pa.Table:
        """Run read-only SQL over the audit records (table ``audit``) with DuckDB."""
        return query_audit(self.audit, self.offline, sql)

    def _read(
        self,
        features: Sequence[str],
        keys: Sequence[str],
        *,
        as_of: datetime | None,
        snapshots: Mapping[str, int] | None = None,
    ) -> FeatureRows:
        """The one place every feature read passes through (scoped reads wrap it)."""
        plan = self._read_plan(features)
        unique_keys = list(dict.fromkeys(keys)) if len(keys) > 1 else list(keys)
        values: dict[str, dict[str, Any]] = {}
        provenance: dict[str, list[Provenance]] = {}
        for part in plan.parts:
            view = part.view
            if as_of is None and (not snapshots or view.name not in snapshots):
                snapshot, rows = self.online.read_with_snapshot(view, unique_keys, part.names)
                source = "online"
            else:
                pinned = snapshots.get(view.name) if snapshots else None
                snapshot, rows = self._offline_rows(view, part.names, unique_keys, as_of, pinned)
                source = "offline"
            refs, durations = part.refs, part.durations
            for row in rows:
                if row is None:
                    continue
                target = values.get(row.key)
                if target is None:
                    target = values[row.key] = {}
                    provenance[row.key] = []
                if durations:
                    for ref, value, is_duration in zip(refs, row.values, durations, strict=True):
                        target[ref] = timedelta(seconds=value) if is_duration and value is not None else value
                else:
                    target.update(zip(refs, row.values, strict=True))
                provenance[row.key].append(Provenance(view.name, snapshot, row.event_time, row.available_at, source))
        out: list[FeatureRow] = []
        missing: list[str] = []
        single = len(plan.parts) == 1
        for key in unique_keys:
            found = values.get(key)
            if found is None:
                missing.append(key)
                continue
            row_values = found if single else {ref: found.get(ref) for ref in plan.refs}
            out.append(FeatureRow(key, row_values, tuple(provenance[key])))
        return FeatureRows(plan.entity, plan.refs, tuple(out), tuple(missing), as_of)

    def _read_plan(self, features: Sequence[str]) -> _ReadPlan:
        """Resolve feature refs once per (applied version, refs); reads reuse the result."""
        definitions = self.applied().definitions
        cache_key = tuple(features)
        hit = self._plans.get(cache_key)
        if hit is not None and hit[0] is definitions:
            return hit[1]
        by_view = definitions.resolve(features)
        entities = {definitions.view(v).entity.name for v in by_view}
        if len(entities) > 1:
            raise NotFoundError(
                f"features {', '.join(features)} belong to views of different entities "
                f"({', '.join(sorted(entities))}); read one entity per call",
                code="mixed_entities",
            )
        parts: list[_ReadPart] = []
        for view_name, names in by_view.items():
            view = definitions.view(view_name)
            flags = tuple(view.feature(n).dtype == "duration" for n in names)
            parts.append(_ReadPart(view, names, tuple(f"{view_name}.{n}" for n in names), flags if any(flags) else ()))
        plan = _ReadPlan(entities.pop(), tuple(r for p in parts for r in p.refs), tuple(parts))
        if len(self._plans) > 1024:
            self._plans.clear()
        self._plans[cache_key] = (definitions, plan)
        return plan

    def _offline_rows(
        self,
        view: FeatureView,
        names: Sequence[str],
        keys: Sequence[str],
        as_of: datetime | None,
        snapshot: int | None,
    ) -> tuple[int | None, list[OnlineRow | None]]:
        snapshot_id = snapshot if snapshot is not None else self.offline.current_snapshot_id(view.name)
        if snapshot_id is None:
            return None, [None] * len(keys)
        table = self.offline.point_in_time(view, keys, as_of=as_of, snapshot_id=snapshot_id)
        by_key: dict[str, OnlineRow] = {}
        cols = [pylist(table.column(n)) if n in table.column_names else [None] * table.num_rows for n in names]
        key_col: list[str] = pylist(table.column(view.key))
        event: list[datetime] = pylist(table.column(view.timestamp_field))
        avail: list[datetime] = pylist(table.column(AVAILABLE_AT))
        for i, key in enumerate(key_col):
            by_key[key] = OnlineRow(key, tuple(c[i] for c in cols), event[i], avail[i])
        return snapshot_id, [by_key.get(k) for k in keys]

    # --- inspection and maintenance --------------------------------------------------------------------

    def history(self, view: str) -> list[SnapshotInfo]:
        self._platform_view(view)
        return self.offline.snapshots(view)

    def status(self, *, now: datetime | None = None) -> list[ViewStatus]:
        applied = self.applied(refresh=True)
        current_time = now or datetime.now(UTC)
        out: list[ViewStatus] = []
        for view in applied.definitions.views:
            snaps = self.offline.snapshots(view.name)
            current = self.offline.current_snapshot_id(view.name)
            latest: datetime | None = None
            rows = 0
            if current is not None:
                data = self.offline.scan(view, columns=[view.timestamp_field])
                rows = data.num_rows
                if rows:
                    times: list[datetime] = pylist(data.column(view.timestamp_field))
                    latest = max(times)
            state = self.online.state(view.name)
            age = current_time - latest if latest is not None else None
            stale = view.freshness is not None and (age is None or age > view.freshness)
            out.append(
                ViewStatus(
                    view=view.name,
                    rows=rows,
                    snapshots=len(snaps),
                    current_snapshot=current,
                    latest_event_time=latest,
                    materialized_snapshot=state.snapshot_id if state else None,
                    online_keys=state.rows if state else 0,
                    freshness=view.freshness,
                    age=age,
                    stale=stale,
                    behind=bool(current is not None and (state is None or state.snapshot_id != current)),
                )
            )
        return out

    def protected_snapshots(self, view: str) -> set[int]:
        """Snapshots that must survive expiry (materialization; governance adds audit refs)."""
        state = self.online.state(view)
        return {state.snapshot_id} if state is not None and state.snapshot_id is not None else set()

    def compact(self, views: Iterable[str] | None = None, *, now: datetime | None = None) -> list[dict[str, Any]]:
        """Rewrite small files and expire snapshots older than the configured retention."""
        applied = self.applied(refresh=True)
        names = list(views) if views is not None else [v.name for v in applied.definitions.views]
        cutoff = (now or datetime.now(UTC)) - self.config.offline.snapshot_retention
        report: list[dict[str, Any]] = []
        for name in names:
            view = applied.definitions.view(name)
            before, after = self.offline.compact(view)
            expired = self.offline.expire_snapshots(name, cutoff, self.protected_snapshots(name))
            report.append({"view": name, "files_before": before, "files_after": after, "snapshots_expired": expired})
        return report
