"""plan shows what apply would change; apply evolves tables without rewriting and refuses destruction."""

from __future__ import annotations

from datetime import UTC, datetime

import pyarrow as pa
import pytest

import agentkit as ak
from tests.conftest import ProjectFactory, order_row


def edit(project: ak.Project, old: str, new: str) -> ak.Project:
    path = project.root / "features.py"
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new))
    return ak.Project.load(project.root / "agentkit.toml")


def test_first_plan_lists_entities_and_tables(make_project: ProjectFactory) -> None:
    plan = make_project(apply=False).plan()
    rendered = plan.render()
    assert "nothing applied yet" in rendered
    assert "+ view order_status: new Iceberg table keyed by order_id" in rendered
    assert "+ entity order: join key order_id; scope: rows where order_status.customer_id = subject" in rendered
    assert not plan.destructive


def test_apply_twice_is_a_no_op(project: ak.Project) -> None:
    assert project.plan().empty
    assert project.apply().version is None


def test_adding_a_feature_is_schema_evolution_without_rewrite(project: ak.Project) -> None:
    project.ingest("order_status", pa.Table.from_pylist([order_row("o_1", "2026-11-01T10:00:00Z")]))
    files_before = project.offline.table("order_status").inspect.data_files().num_rows
    changed = edit(
        project,
        'Feature(name="items"',
        'Feature(name="courier_name", dtype="string", description="Courier first name."),\n'
        '            Feature(name="items"',
    )
    plan = changed.plan()
    (change,) = plan.changes
    assert change.op == "add"
    assert change.action == "add_column"
    assert not change.destructive
    assert "schema evolution, no data rewritten" in change.detail
    result = changed.apply()
    assert result.version == 2
    assert result.evolved == ("order_status",)
    assert "courier_name" in changed.offline.column_names("order_status")
    assert changed.offline.table("order_status").inspect.data_files().num_rows == files_before
    old = changed.read_features_unscoped(
        ["order_status.courier_name", "order_status.status"], ["o_1"], as_of=datetime.now(UTC)
    )
    assert old.rows[0].values == {"order_status.courier_name": None, "order_status.status": "placed"}


def test_metadata_and_widening_changes_are_safe(project: ak.Project) -> None:
    changed = edit(project, 'description="Minutes until delivery."', 'description="Minutes until it arrives."')
    changed = edit(
        changed,
        'values=("placed", "preparing", "delivered", "cancelled")',
        'values=("placed", "preparing", "delivered", "cancelled", "refunded")',
    )
    plan = changed.plan()
    assert not plan.destructive
    assert {c.name for c in plan.changes} == {"order_status.eta_minutes", "order_status.status"}
    assert changed.apply().version == 2


@pytest.mark.parametrize(
    ("old", "new", "name"),
    [
        (
            'Feature(name="distance_km", dtype="float", unit="km", description="Courier distance to the customer."),\n',
            "",
            "order_status.distance_km",
        ),
        ('dtype="int", unit="minutes"', 'dtype="string", unit="minutes"', "order_status.eta_minutes"),
        (
            'values=("placed", "preparing", "delivered", "cancelled")',
            'values=("placed", "delivered")',
            "order_status.status",
        ),
    ],
)
def test_destructive_changes_are_refused_without_the_flag(project: ak.Project, old: str, new: str, name: str) -> None:
    changed = edit(project, old, new)
    plan = changed.plan()
    assert [c.name for c in plan.destructive] == [name]
    assert "--allow-destructive" in plan.render()
    with pytest.raises(ak.PlanError) as info:
        changed.apply()
    assert info.value.code == "destructive_change"
    assert name in info.value.message
    assert changed.apply(allow_destructive=True).version == 2


def test_dropping_a_view_needs_the_flag_and_then_drops_the_table(project: ak.Project) -> None:
    text = (project.root / "features.py").read_text()
    start = text.index("customer_profile = FeatureView(")
    (project.root / "features.py").write_text(text[:start])
    changed = ak.Project.load(project.root / "agentkit.toml")
    assert [c.name for c in changed.plan().destructive] == ["customer_profile"]
    with pytest.raises(ak.PlanError):
        changed.apply()
    changed.apply(allow_destructive=True)
    assert not changed.offline.has_table("customer_profile")


def test_reset_column_keeps_old_values_in_old_snapshots(project: ak.Project) -> None:
    project.ingest("order_status", pa.Table.from_pylist([order_row("o_1", "2026-11-01T10:00:00Z", eta_minutes=30)]))
    first = project.history("order_status")[0].snapshot_id
    changed = edit(project, 'dtype="int", unit="minutes"', 'dtype="float", unit="minutes"')
    changed.apply(allow_destructive=True)
    old = changed.offline.scan(changed.applied().definitions.view("order_status"), snapshot_id=first)
    assert old.column("eta_minutes").to_pylist() == [30]


def test_invalid_definitions_name_the_definition(project: ak.Project) -> None:
    changed = edit(project, 'description="Courier distance to the customer."', 'description=""')
    with pytest.raises(ak.DefinitionError) as info:
        changed.plan()
    assert "distance_km" in info.value.message
    assert "features.py" in info.value.message


def test_scope_changes_show_in_the_plan(project: ak.Project) -> None:
    changed = edit(project, "scope=Scope.subject()", "scope=None")
    (change,) = changed.plan().changes
    assert change.target == "entity"
    assert "own row (key = subject) -> none (unreachable for end users)" in change.detail
