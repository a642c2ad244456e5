"""The one raw read: the given keys' values, live from the online store or point in time from
Iceberg (per key, the latest row with event time <= t and availability <= t, on pinned snapshots).

It checks no principal, policy or scope: the scoped read (:mod:`agentkit.reads.scoped`) wraps it,
and :meth:`RawReader.read_unscoped` exposes it, audited, to platform code only.

A point-in-time read that finds no row for a key, while that key has rows dated before the moment
that became available only after it, says so in ``FeatureRows.warnings`` (history ingested
without ``--available-at`` is available from its ingest time, so a replay of the past sees none
of it). The warning counts keys and never names them.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from agentkit.errors import AgentkitError, NotFoundError
from agentkit.features.definitions import AVAILABLE_AT, Definitions, FeatureView
from agentkit.features.online import OnlineRow
from agentkit.features.results import FeatureRow, FeatureRows, Provenance
from agentkit.features.schema import pylist
from agentkit.governance.audit import AuditRecord
from agentkit.reads.as_of import parse_as_of
from agentkit.reads.host import ReadHost

__all__ = ["RawReader", "ReadPart", "ReadPlan", "one_entity"]

_MAX_PLANS = 1024


@dataclass(frozen=True, slots=True)
class ReadPart:
    """The features of one view that a read needs."""

    view: FeatureView
    names: tuple[str, ...]
    refs: tuple[str, ...]
    durations: tuple[bool, ...]
    """Per feature, whether it is a duration (empty when none is)."""


@dataclass(frozen=True, slots=True)
class ReadPlan:
    entity: str
    refs: tuple[str, ...]
    parts: tuple[ReadPart, ...]


def one_entity(definitions: Definitions, views: Collection[str], features: Sequence[str]) -> str:
    """The entity of the resolved ``views``; a read serves one entity per call (every read path
    checks it here)."""
    entities = {definitions.view(v).entity.name for v in views}
    if len(entities) > 1:
        raise NotFoundError(
            f"features {', '.join(features)} belong to views of different entities "
            f"({', '.join(sorted(entities))}); read one entity per call",
            code="mixed_entities",
        )
    return entities.pop()


class RawReader:
    """The raw read over a host's stores, with its per-(applied version, refs) plans."""

    def __init__(self, host: ReadHost) -> None:
        self._host = host
        self._plans: dict[tuple[str, ...], tuple[Definitions, ReadPlan]] = {}

    def read(
        self,
        features: Sequence[str],
        keys: Sequence[str],
        *,
        as_of: datetime | None,
        snapshots: Mapping[str, int] | None = None,
        definitions: Definitions | None = None,
    ) -> FeatureRows:
        """The one place every feature read passes through (scoped reads wrap it).

        Live without ``as_of`` unless a view is pinned in ``snapshots``; ``definitions`` saves a
        look-up when the caller already holds the applied ones.
        """
        if definitions is None:
            definitions = self._host.applied().definitions
        plan = self.plan(features, definitions)
        unique_keys = list(dict.fromkeys(keys)) if len(keys) > 1 else list(keys)
        values: dict[str, dict[str, Any]] = {}
        provenance: dict[str, list[Provenance]] = {}
        warnings: list[str] = []
        for part in plan.parts:
            view = part.view
            if as_of is None and (not snapshots or view.name not in snapshots):
                snapshot, rows = self._host.online.read_with_snapshot(view, unique_keys, part.names)
                source = "online"
            else:
                pinned = snapshots.get(view.name) if snapshots else None
                snapshot, rows = self._offline_rows(view, part.names, unique_keys, as_of, pinned)
                source = "offline"
                missing_here = [k for k, r in zip(unique_keys, rows, strict=True) if r is None]
                if as_of is not None and snapshot is not None and missing_here:
                    warnings += self._not_yet_available(view, missing_here, as_of, snapshot)
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
        return FeatureRows(plan.entity, plan.refs, tuple(out), tuple(missing), as_of, tuple(warnings))

    def plan(self, features: Sequence[str], definitions: Definitions) -> ReadPlan:
        """Resolve feature refs once per (applied version, refs); reads reuse the result."""
        cache_key = tuple(features)
        hit = self._plans.get(cache_key)
        if hit is not None and hit[0] is definitions:
            return hit[1]
        by_view = definitions.resolve(features)
        entity = one_entity(definitions, by_view, features)
        parts: list[ReadPart] = []
        for view_name, names in by_view.items():
            view = definitions.view(view_name)
            flags = tuple(view.feature(n).dtype == "duration" for n in names)
            parts.append(ReadPart(view, names, tuple(f"{view_name}.{n}" for n in names), flags if any(flags) else ()))
        plan = ReadPlan(entity, tuple(r for p in parts for r in p.refs), tuple(parts))
        if len(self._plans) > _MAX_PLANS:
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
        offline = self._host.offline
        snapshot_id = snapshot if snapshot is not None else offline.current_snapshot_id(view.name)
        if snapshot_id is None:
            return None, [None] * len(keys)
        table = offline.point_in_time(view, keys, as_of=as_of, snapshot_id=snapshot_id)
        by_key: dict[str, OnlineRow] = {}
        cols = [pylist(table.column(n)) if n in table.column_names else [None] * table.num_rows for n in names]
        key_col: list[str] = pylist(table.column(view.key))
        event: list[datetime] = pylist(table.column(view.timestamp_field))
        avail: list[datetime] = pylist(table.column(AVAILABLE_AT))
        for i, key in enumerate(key_col):
            by_key[key] = OnlineRow(key, tuple(c[i] for c in cols), event[i], avail[i])
        return snapshot_id, [by_key.get(k) for k in keys]

    def _not_yet_available(self, view: FeatureView, keys: Sequence[str], as_of: datetime, snapshot: int) -> list[str]:
        """A warning when some of ``keys`` have rows with event time <= ``as_of`` that became
        available only after it (none when they simply have no rows)."""
        table = self._host.offline.scan(
            view, keys=keys, snapshot_id=snapshot, columns=[view.key, view.timestamp_field, AVAILABLE_AT]
        )
        event: list[datetime] = pylist(table.column(view.timestamp_field))
        avail: list[datetime] = pylist(table.column(AVAILABLE_AT))
        late = [(k, a) for k, e, a in zip(pylist(table.column(view.key)), event, avail, strict=True) if e <= as_of < a]
        if not late:
            return []
        first = min(a for _, a in late).isoformat(timespec="seconds")
        return [
            f"{view.name}: {len({k for k, _ in late})} key(s) have rows dated before {as_of.isoformat()} that were "
            f"not yet available then (available from {first}); if that is history ingested without "
            "--available-at, re-ingest it with `agentkit ingest --upsert --available-at <when it was known>` "
            "(or an _available_at column)"
        ]

    def read_unscoped(
        self,
        features: Sequence[str],
        keys: Sequence[str],
        *,
        as_of: datetime | str | None = None,
        snapshots: Mapping[str, int] | None = None,
    ) -> FeatureRows:
        """The raw read for platform code, audited as the ``platform`` service (no scope checked)."""
        started = time.perf_counter_ns()
        when = parse_as_of(as_of) if as_of is not None else None
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
            rows = self.read(features, keys, as_of=when, snapshots=snapshots)
        except AgentkitError as exc:
            record.decision, record.reason = "deny", exc.code
            raise
        finally:
            record.latency_us = (time.perf_counter_ns() - started) // 1000
            self._host.audit.write(record)
        record.keys_served = [r.key for r in rows.rows]
        return rows
