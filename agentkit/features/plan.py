"""``plan``: the difference between the applied definitions and the ones on disk.

Each change says what it means for the Iceberg tables: a new table, a new column (schema
evolution, no data rewritten), a metadata-only change, or a destructive one (a dropped view or
column, a narrowed or incompatible type) that ``apply`` refuses without ``allow_destructive``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from agentkit.features.definitions import Definitions, Entity, Feature, FeatureView
from agentkit.features.schema import arrow_type

__all__ = ["Change", "Plan", "diff"]

TableAction = Literal[
    "create_table", "add_column", "drop_column", "reset_column", "drop_table", "recreate_table", "none"
]


@dataclass(frozen=True, slots=True)
class Change:
    op: Literal["add", "change", "remove"]
    target: Literal["entity", "view", "feature", "exposure"]
    name: str
    detail: str
    action: TableAction = "none"
    destructive: bool = False

    def render(self) -> str:
        sign = {"add": "+", "change": "~", "remove": "-"}[self.op]
        warn = "  [destructive]" if self.destructive else ""
        return f"  {sign} {self.target} {self.name}: {self.detail}{warn}"


@dataclass(frozen=True, slots=True)
class Plan:
    changes: tuple[Change, ...]
    applied_version: int | None
    notes: tuple[str, ...] = field(default=())

    @property
    def empty(self) -> bool:
        return not self.changes

    @property
    def destructive(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.destructive)

    def render(self) -> str:
        base = f"applied version {self.applied_version}" if self.applied_version else "nothing applied yet"
        if self.empty:
            return f"No changes ({base}). The catalog matches the definitions."
        adds = sum(c.op == "add" for c in self.changes)
        chg = sum(c.op == "change" for c in self.changes)
        rem = sum(c.op == "remove" for c in self.changes)
        lines = [f"Plan against {base}: {adds} to add, {chg} to change, {rem} to remove."]
        lines += [c.render() for c in self.changes]
        lines += list(self.notes)
        if self.destructive:
            lines.append(
                f"{len(self.destructive)} destructive change(s): apply refuses them unless run with "
                "--allow-destructive (earlier snapshots keep the old data)."
            )
        return "\n".join(lines)


def _feature_change(view: str, old: Feature, new: Feature) -> Change | None:
    name = f"{view}.{new.name}"
    if old == new:
        return None
    if old.dtype != new.dtype or old.currency != new.currency or old.values != new.values:
        same_storage = arrow_type(old.dtype) == arrow_type(new.dtype)
        desc = f"type {old.type_label()} -> {new.type_label()}"
        if old.dtype == "enum" and new.dtype == "string":
            return Change("change", "feature", name, desc + " (widening; metadata only)")
        if old.dtype == new.dtype == "enum" and set(old.values) <= set(new.values):
            return Change("change", "feature", name, desc + " (values added; metadata only)")
        if same_storage and old.currency == new.currency:
            return Change(
                "change",
                "feature",
                name,
                desc + " (narrowing: stored values may no longer be valid)",
                destructive=True,
            )
        return Change(
            "change",
            "feature",
            name,
            desc + " (incompatible: the column is reset; old values stay in earlier snapshots)",
            action="reset_column",
            destructive=True,
        )
    fields = [f for f in ("description", "unit", "tags") if getattr(old, f) != getattr(new, f)]
    return Change("change", "feature", name, f"{', '.join(fields)} changed (metadata only)")


def _view_changes(old: FeatureView, new: FeatureView) -> list[Change]:
    if (
        old.entity.join_key != new.entity.join_key
        or old.timestamp_field != new.timestamp_field
        or (old.entity.name != new.entity.name)
    ):
        return [
            Change(
                "change",
                "view",
                new.name,
                "entity, join key or timestamp field changed: the table is recreated empty (re-ingest needed)",
                action="recreate_table",
                destructive=True,
            )
        ]
    out: list[Change] = []
    meta = [f for f in ("description", "owner", "tags", "freshness") if getattr(old, f) != getattr(new, f)]
    if meta:
        out.append(Change("change", "view", new.name, f"{', '.join(meta)} changed (metadata only)"))
    old_f = {f.name: f for f in old.features}
    new_f = {f.name: f for f in new.features}
    for name, feature in new_f.items():
        if name not in old_f:
            out.append(
                Change(
                    "add",
                    "feature",
                    f"{new.name}.{name}",
                    f"new column {name} {feature.type_label()} (schema evolution, no data rewritten)",
                    action="add_column",
                )
            )
        else:
            change = _feature_change(new.name, old_f[name], feature)
            if change is not None:
                out.append(change)
    for name in old_f:
        if name not in new_f:
            out.append(
                Change(
                    "remove",
                    "feature",
                    f"{new.name}.{name}",
                    "column dropped from the current schema (old snapshots keep it)",
                    action="drop_column",
                    destructive=True,
                )
            )
    return out


def _entity_change(old: Entity, new: Entity) -> Change | None:
    if old == new:
        return None
    parts: list[str] = []
    if old.join_key != new.join_key:
        parts.append(f"join key {old.join_key} -> {new.join_key}")
    if old.description != new.description:
        parts.append("description changed")
    if old.scope != new.scope:
        before = old.scope.describe() if old.scope else "none (unreachable for end users)"
        after = new.scope.describe() if new.scope else "none (unreachable for end users)"
        parts.append(f"scope: {before} -> {after}")
    return Change("change", "entity", new.name, "; ".join(parts))


def diff(applied: Definitions | None, desired: Definitions, *, applied_version: int | None = None) -> Plan:
    old = applied or Definitions()
    changes: list[Change] = []
    old_entities = {e.name: e for e in old.entities}
    for entity in desired.entities:
        if entity.name not in old_entities:
            scope = entity.scope.describe() if entity.scope else "none (unreachable for end users)"
            changes.append(Change("add", "entity", entity.name, f"join key {entity.join_key}; scope: {scope}"))
        else:
            change = _entity_change(old_entities[entity.name], entity)
            if change is not None:
                changes.append(change)
    desired_entities = {e.name for e in desired.entities}
    changes += [
        Change("remove", "entity", name, "no longer defined") for name in old_entities if name not in desired_entities
    ]
    old_views = old.by_view()
    for view in desired.views:
        if view.name not in old_views:
            cols = ", ".join(f"{f.name} {f.type_label()}" for f in view.features)
            changes.append(
                Change(
                    "add",
                    "view",
                    view.name,
                    f"new Iceberg table keyed by {view.key}, event time {view.timestamp_field}: {cols}",
                    action="create_table",
                )
            )
        else:
            changes += _view_changes(old_views[view.name], view)
    desired_views = desired.by_view()
    changes += [
        Change(
            "remove",
            "view",
            name,
            "table dropped from the catalog (data files are not deleted)",
            action="drop_table",
            destructive=True,
        )
        for name in old_views
        if name not in desired_views
    ]
    return Plan(tuple(changes), applied_version)
