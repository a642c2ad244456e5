"""``Project``: the composition root. It loads ``agentkit.toml`` and owns the stores, the registry
of applied definitions, the writes and maintenance.

Platform operations (plan, apply, ingest, materialize, push, compact) talk to the Iceberg catalog.
Every read goes through the read path in :mod:`agentkit.reads` (the project is its
:class:`~agentkit.reads.ReadHost`); serving reads need only the online store (which keeps a copy
of the applied definitions), so a fresh process answers without touching the catalog.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from agentkit.config import CONFIG_FILE, ProjectConfig, load_config
from agentkit.errors import DefinitionError, NotFoundError, PlanError
from agentkit.features.definitions import Definitions, FeatureView, load_definitions
from agentkit.features.ingestion import ingest_rows, refuse_future
from agentkit.features.materialization import materialize_view
from agentkit.features.migration import migrate
from agentkit.features.offline import OfflineStore, SnapshotInfo
from agentkit.features.offline_maintenance import compact_table, expire_snapshots, remove_orphan_files, view_status
from agentkit.features.online import OnlineStore, RegistryCopy, open_online_store
from agentkit.features.plan import Plan, diff
from agentkit.features.results import ApplyResult, FeatureRows, IngestResult, MaterializeResult, ViewStatus
from agentkit.features.schema import coerce_table
from agentkit.governance.audit import AuditLog
from agentkit.governance.auditstore import commit_spool, query_audit
from agentkit.governance.explain import Explanation, exposure_changes
from agentkit.governance.policy import Policy, PolicyProblem, PolicySnapshot, scope_problems
from agentkit.governance.principal import Principal
from agentkit.reads import RawReader, ScopedReader, parse_as_of
from agentkit.retrieval.catalog import CatalogHit, SemanticCatalog
from agentkit.retrieval.embedder import Embedder, HashingEmbedder, MiniLMEmbedder
from agentkit.retrieval.embedding_cache import CachedEmbedder, EmbeddingCache
from agentkit.retrieval.index import DocumentIndex
from agentkit.retrieval.results import DocumentHit

__all__ = ["Applied", "Project", "parse_as_of"]

REGISTRY_RECHECK = 1.0
"""Seconds between checks for a newer applied version in long-running processes."""
Progress = Callable[[str, int, int], None]
"""``progress(view, done, total)`` callbacks for long operations (the CLI draws a bar)."""


@dataclass(frozen=True, slots=True)
class Applied:
    version: int
    definitions: Definitions
    policy: str | None


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
        self._embedder: Embedder | None = embedder
        self._docs: DocumentIndex | None = None
        self._catalog: tuple[int, SemanticCatalog] | None = None
        self._raw = RawReader(self)
        self._scoped = ScopedReader(self, self._raw)

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
        tables = migrate(store, self.online, plan.changes, self.definitions.by_view())
        definitions_json = self.definitions.to_json()
        version = store.record_apply(definitions_json, policy, note=f"{len(plan.changes)} change(s)")
        self.online.publish_registry(RegistryCopy(version, definitions_json, policy))
        self._applied = None
        return ApplyResult(
            version=version,
            changes=len(plan.changes),
            created=tables.created,
            evolved=tables.evolved,
            dropped=tables.dropped,
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
        dedupe: bool = False,
        allow_future: bool = False,
        now: datetime | None = None,
    ) -> IngestResult:
        """Validate and append rows to a view's Iceberg table in one atomic commit.

        ``available_at`` backfills history (when the platform could have known the rows); an
        ``_available_at`` column sets it per row. ``upsert`` replaces rows with the same key and
        event time instead of appending. Rows repeating a key and event time are refused unless
        ``dedupe`` (keep the last of each); times past ``now`` plus ``[offline] future_tolerance``
        are refused unless ``allow_future``; rows already ingested are not written again
        (``already_ingested``). ``now`` (default: the clock) is the ingest time.
        """
        fv = self._platform_view(view)
        current = now or datetime.now(UTC)
        when = parse_as_of(available_at, now=current) if isinstance(available_at, str) else available_at
        return ingest_rows(
            self.offline,
            fv,
            Path(data) if isinstance(data, str) else data,
            available_at=when,
            now=current,
            tolerance=self.config.offline.future_tolerance,
            upsert=upsert,
            dedupe=dedupe,
            allow_future=allow_future,
        )

    def push(self, view: str, rows: pa.Table | Sequence[Mapping[str, Any]]) -> IngestResult:
        """Real-time update: append to Iceberg, then merge into the online store at once."""
        fv = self.applied().definitions.view(view)
        table = rows if isinstance(rows, pa.Table) else pa.Table.from_pylist([dict(r) for r in rows])
        now = datetime.now(UTC)
        canonical = coerce_table(fv, table, available_at=None, ingested_at=now, source=f"push {view}")
        refuse_future(fv, canonical, now=now, tolerance=self.config.offline.future_tolerance, source=f"push {view}")
        snapshot = self.offline.append(fv, canonical)
        self.online.write(fv, canonical, snapshot_id=snapshot, replace=False, pushed=True)
        return IngestResult(view, canonical.num_rows, snapshot, "push")

    def materialize(
        self,
        views: Iterable[str] | None = None,
        *,
        full: bool = False,
        progress: Progress | None = None,
        now: datetime | None = None,
    ) -> list[MaterializeResult]:
        """Latest value per key from the current snapshot into the online store.

        Incremental when only appends happened since the recorded snapshot; otherwise (or with
        ``full``) the view is rebuilt from the whole current snapshot. Rows not yet available at
        ``now`` (default: the clock), or dated past it, are held back for a later materialize.
        """
        applied = self.applied(refresh=True)
        names = list(views) if views is not None else [v.name for v in applied.definitions.views]
        results: list[MaterializeResult] = []
        tolerance = self.config.offline.future_tolerance
        for i, name in enumerate(names):
            view = applied.definitions.view(name)
            results.append(materialize_view(self.offline, self.online, view, full=full, now=now, tolerance=tolerance))
            if progress is not None:
                progress(name, i + 1, len(names))
        return results

    # --- reads (the read path lives in agentkit.reads; these are its public doors) ----------------

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
        return self._scoped.get_features(
            principal, features, entity_key=entity_key, as_of=as_of, surface=surface, tool=tool
        )

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
        return self._raw.read_unscoped(features, keys, as_of=as_of, snapshots=snapshots)

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
        return self._raw.read_unscoped(features, keys, as_of=as_of, snapshots=snapshots)

    def explain(self, principal: Principal, *, as_of: datetime | str | None = None) -> Explanation:
        """What this agent may read for this user, and why (`agentkit policy explain`)."""
        return self._scoped.explain(principal, parse_as_of(as_of))

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

    def commit_audit(self, *, warn: Callable[[str], None] | None = None) -> int:
        """Move spooled audit records into the ``_audit`` Iceberg table; returns how many. Lines
        that are not whole records go to ``quarantine/`` with one ``warn`` line per file (default:
        a logged warning)."""
        return commit_spool(self.audit, self.offline, warn=warn)

    def query_audit(self, sql: str, *, warn: Callable[[str], None] | None = None) -> pa.Table:
        """Run read-only SQL over the audit records (table ``audit``) with DuckDB; unreadable
        spool lines are left out with one ``warn`` line per file."""
        return query_audit(self.audit, self.offline, sql, warn=warn)

    # --- inspection and maintenance --------------------------------------------------------------------

    def history(self, view: str) -> list[SnapshotInfo]:
        self._platform_view(view)
        return self.offline.snapshots(view)

    def status(self, *, now: datetime | None = None) -> list[ViewStatus]:
        applied = self.applied(refresh=True)
        current_time = now or datetime.now(UTC)
        return [view_status(self.offline, self.online, view, now=current_time) for view in applied.definitions.views]

    def protected_snapshots(self, view: str) -> set[int]:
        """Snapshots that must survive expiry (materialization; governance adds audit refs)."""
        state = self.online.state(view)
        return {state.snapshot_id} if state is not None and state.snapshot_id is not None else set()

    def compact(self, views: Iterable[str] | None = None, *, now: datetime | None = None) -> list[dict[str, Any]]:
        """Rewrite small files, expire snapshots older than the configured retention, and remove
        data files no snapshot references once older than ``[offline] min_orphan_age``."""
        applied = self.applied(refresh=True)
        names = list(views) if views is not None else [v.name for v in applied.definitions.views]
        moment = now or datetime.now(UTC)
        cutoff = moment - self.config.offline.snapshot_retention
        report: list[dict[str, Any]] = []
        for name in names:
            view = applied.definitions.view(name)
            before, after = compact_table(self.offline, view)
            expired = expire_snapshots(self.offline, name, cutoff, self.protected_snapshots(name))
            orphans = remove_orphan_files(self.offline, name, older_than=moment - self.config.offline.min_orphan_age)
            row = {"view": name, "files_before": before, "files_after": after, "snapshots_expired": expired}
            report.append(row | {"orphans_removed": orphans})
        return report
