from pathlib import Path

import pytest

import agentkit as ak
from agentkit.features.definitions import load_definitions

customer = ak.Entity(name="customer", join_key="customer_id", description="A customer.")


def feature(**kw: object) -> ak.Feature:
    base: dict[str, object] = {"name": "tier", "dtype": "string", "description": "Loyalty tier."}
    return ak.Feature(**{**base, **kw})  # type: ignore[arg-type]


@pytest.mark.parametrize("name", ["Tier", "1tier", "tier-x", "", "a" * 64, "_available_at"])
def test_feature_names_must_be_identifiers(name: str) -> None:
    with pytest.raises(ValueError, match=r"tier|name|reserved"):
        feature(name=name)


def test_every_feature_needs_a_description() -> None:
    with pytest.raises(ValueError, match="needs a description"):
        feature(description="   ")


def test_enum_needs_values_and_money_needs_a_currency() -> None:
    with pytest.raises(ValueError, match="needs values"):
        feature(dtype="enum")
    with pytest.raises(ValueError, match="currency"):
        feature(dtype="money")
    assert feature(dtype="money", currency="EUR").type_label() == "money(EUR)"


def test_duplicate_feature_names_in_a_view_are_rejected() -> None:
    with pytest.raises(ValueError, match="defines feature 'tier' twice"):
        ak.FeatureView(name="v", entity=customer, description="d", features=(feature(), feature()))


def test_feature_colliding_with_the_join_key_is_rejected() -> None:
    with pytest.raises(ValueError, match="collides"):
        ak.FeatureView(name="v", entity=customer, description="d", features=(feature(name="customer_id"),))


def test_duplicate_view_names_are_rejected() -> None:
    view = ak.FeatureView(name="v", entity=customer, description="d", features=(feature(),))
    with pytest.raises(ak.DefinitionError, match="defined twice"):
        ak.Definitions.of([view, view])


def test_scope_rules_validate_their_shape() -> None:
    assert ak.Scope.owned_by("orders", "customer_id").describe() == "rows where orders.customer_id = subject"
    with pytest.raises(ValueError, match="needs view"):
        ak.Scope(kind="owned_by", column="x")
    with pytest.raises(ValueError, match="takes no view"):
        ak.Scope(kind="public", view="x")


def test_resolve_suggests_the_closest_name() -> None:
    view = ak.FeatureView(name="customer_profile", entity=customer, description="d", features=(feature(),))
    defs = ak.Definitions.of([view])
    with pytest.raises(ak.NotFoundError) as info:
        defs.resolve(["customer_profle.tier"])
    assert "did you mean customer_profile?" in info.value.message
    with pytest.raises(ak.NotFoundError) as info:
        defs.resolve(["customer_profile.teir"])
    assert info.value.code == "feature_not_found"
    assert "did you mean tier?" in info.value.message
    assert defs.resolve(["customer_profile.*"]) == {"customer_profile": ("tier",)}


def test_definitions_round_trip_through_json() -> None:
    view = ak.FeatureView(
        name="v", entity=customer, description="d", features=(feature(dtype="enum", values=("a", "b")),)
    )
    defs = ak.Definitions.of([view])
    assert ak.Definitions.from_json(defs.to_json()) == defs


def test_a_broken_definitions_module_reports_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "features.py"
    path.write_text("from agentkit import Feature\n\nx = 1\nFeature(name='a', dtype='int', description='')\n")
    with pytest.raises(ak.DefinitionError) as info:
        load_definitions(path)
    assert str(path) in info.value.message
    assert "needs a description" in info.value.message
    path.write_text("import nothing_here_at_all\n")
    with pytest.raises(ak.ConfigError) as info2:
        load_definitions(path)
    assert f"{path}:1" in info2.value.message
