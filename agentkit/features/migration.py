"""Migration: carry out a plan's table changes on the offline store (and drop what the online
store holds for dropped views), so the tables match the desired definitions."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from agentkit.features.definitions import FeatureView
from agentkit.features.offline import OfflineStore
from agentkit.features.online import OnlineStore
from agentkit.features.plan import Change

__all__ = ["Migration", "migrate"]


@dataclass(frozen=True, slots=True)
class Migration:
    """Views whose tables were created, evolved (sorted, once each) and dropped."""

    created: tuple[str, ...]
    evolved: tuple[str, ...]
    dropped: tuple[str, ...]


def migrate(
    store: OfflineStore, online: OnlineStore, changes: Iterable[Change], desired: Mapping[str, FeatureView]
) -> Migration:
    """Apply the table actions of ``changes``; tables that should exist but don't (e.g. dropped by
    hand) are recreated."""
    created: list[str] = []
    evolved: list[str] = []
    dropped: list[str] = []
    added: set[str] = set()
    for change in changes:
        if change.target == "exposure":
            continue
        view_name = change.name.split(".", 1)[0]
        if change.action == "create_table":
            store.create_table(desired[view_name])
            created.append(view_name)
        elif change.action == "drop_table":
            store.drop_table(view_name)
            online.drop(view_name)
            dropped.append(view_name)
        elif change.action == "recreate_table":
            store.drop_table(view_name)
            online.drop(view_name)
            store.create_table(desired[view_name])
            created.append(view_name)
        elif change.action == "drop_column":
            store.drop_columns(view_name, [change.name.split(".", 1)[1]])
            evolved.append(view_name)
        elif change.action == "reset_column":
            store.drop_columns(view_name, [change.name.split(".", 1)[1]])
            store.add_columns(desired[view_name])
            evolved.append(view_name)
        elif change.action == "add_column":
            added.add(view_name)
    for view_name in added:
        store.add_columns(desired[view_name])
        evolved.append(view_name)
    for name, view in desired.items():
        if name not in created and not store.has_table(name):
            store.create_table(view)
            created.append(name)
    return Migration(tuple(created), tuple(sorted(set(evolved))), tuple(dropped))
