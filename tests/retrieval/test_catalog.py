"""The semantic catalog: restricted before ranking, finds the right features, lints honestly."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

import agentkit as ak
from agentkit.cli import main
from agentkit.retrieval.catalog import SemanticCatalog
from tests.governance.conftest import DEFINITIONS, POLICY, make_governed, user


@pytest.fixture(scope="module")
def minilm() -> ak.Embedder:
    return ak.MiniLMEmbedder()


@pytest.fixture(scope="module")
def definitions(tmp_path_factory: pytest.TempPathFactory) -> ak.Definitions:
    from agentkit.features.definitions import load_definitions

    path = tmp_path_factory.mktemp("defs") / "features.py"
    path.write_text(DEFINITIONS)
    return load_definitions(path)


@pytest.mark.parametrize(
    ("intent", "expected"),
    [
        ("when will my food arrive", "order_status.eta_minutes"),
        ("how far away is the driver", "courier_location.distance_km"),
        ("did I get my money back", "order_status.refund_amount"),
        ("is the kitchen running behind", "restaurant_status.delay_minutes"),
    ],
)
def test_search_finds_the_feature_that_answers_an_intent(
    definitions: ak.Definitions, minilm: ak.Embedder, intent: str, expected: str
) -> None:
    catalog = SemanticCatalog(definitions, minilm)
    hits = catalog.search(intent, readable=None, k=3)
    assert expected in [h.ref for h in hits], [(h.ref, h.why) for h in hits]
    assert all(h.description and h.why for h in hits)


def test_unreadable_features_are_never_named_even_when_they_match_best(
    definitions: ak.Definitions, minilm: ak.Embedder
) -> None:
    catalog = SemanticCatalog(definitions, minilm)
    assert catalog.search("fraud model score", readable=None, k=1)[0].ref == "account_risk.fraud_score"
    readable = frozenset(r for r in (e.ref for e in catalog.entries) if not r.startswith("account_risk"))
    for k in (1, 5, 50):
        assert all(
            not h.ref.startswith("account_risk") for h in catalog.search("fraud model score", readable=readable, k=k)
        )
    assert catalog.search("fraud model score", readable=frozenset(), k=5) == []


def test_project_catalog_search_uses_the_principals_grants(tmp_path: Path) -> None:
    project = make_governed(tmp_path / "p", policy=POLICY + '\n[retrieval]\nembedder = "hashing"\n')
    refs = {h.ref for h in project.search_catalog(user("c_1", agent="refund_bot"), "refund status", k=20)}
    assert refs == {"order_status.refund_amount", "order_status.status"}  # email is PII without a grant
    assert project.search_catalog(user("c_1", agent="faq_bot"), "refund status") == []
    project.close()


def test_lint_reports_useless_and_duplicate_descriptions_and_uncovered_intents(
    definitions: ak.Definitions, minilm: ak.Embedder
) -> None:
    from agentkit.features.definitions import Definitions, Entity, Feature, FeatureView

    thing = Entity(name="thing", join_key="thing_id", description="A thing.")
    view = FeatureView(
        name="things",
        entity=thing,
        description="Things.",
        features=(
            Feature(name="weight_kg", dtype="float", description="weight kg"),
            Feature(name="size", dtype="float", description="Big or small."),
            Feature(name="parcel_weight", dtype="float", description="How heavy the parcel is, in kilograms."),
            Feature(name="package_weight", dtype="float", description="Weight of the parcel in kilograms."),
            Feature(name="colour", dtype="string", description="The colour of the parcel as printed on the label."),
        ),
    )
    report = SemanticCatalog(Definitions.of([view]), minilm).lint(
        questions=["how heavy is my parcel", "can I pay with bitcoin at the restaurant"]
    )
    kinds = {(f.kind, f.subject) for f in report.findings}
    assert ("description_is_name", "things.weight_kg") in kinds
    assert ("description_short", "things.size") in kinds
    assert ("near_duplicate", "things.parcel_weight|things.package_weight") in kinds
    assert ("uncovered_intent", "can I pay with bitcoin at the restaurant") in kinds
    assert ("uncovered_intent", "how heavy is my parcel") not in kinds
    assert not any(f.subject == "things.colour" for f in report.findings)


def test_catalog_cli_search_and_lint_gate(tmp_path: Path) -> None:
    project = make_governed(tmp_path / "p", policy=POLICY + '\n[retrieval]\nembedder = "hashing"\n')
    config = str(project.root / "agentkit.toml")
    runner = CliRunner()
    out = runner.invoke(
        main, ["--config", config, "catalog", "search", "refund", "--agent", "support_bot", "--user", "c_1"]
    )
    assert out.exit_code == 0 and "order_status.refund_amount" in out.output
    lint = runner.invoke(main, ["--config", config, "catalog", "lint"])
    assert lint.exit_code == 1 and "description_short" in lint.output  # the test descriptions are terse
    assert runner.invoke(main, ["--config", config, "catalog", "lint", "--max-findings", "1000"]).exit_code == 0
    project.close()


def test_docs_cli_indexes_incrementally_and_searches(tmp_path: Path) -> None:
    project = make_governed(tmp_path / "p", policy=POLICY + '\n[retrieval]\nembedder = "hashing"\n')
    config = str(project.root / "agentkit.toml")
    help_center = Path(__file__).parents[2] / "agentkit" / "examples" / "support_bot" / "help_center"
    runner = CliRunner()
    first = runner.invoke(main, ["--config", config, "docs", "index", str(help_center)])
    assert first.exit_code == 0, first.output
    assert "indexed 33 document(s)" in first.output
    again = runner.invoke(main, ["--config", config, "docs", "index", str(help_center)])
    assert "embedded=0" in again.output
    found = runner.invoke(main, ["--config", config, "docs", "search", "my food never showed up", "--json"])
    assert found.exit_code == 0
    import json

    assert json.loads(found.output)[0]["document_id"]
    empty = runner.invoke(main, ["--config", config, "docs", "search", "   "])
    assert empty.exit_code == 2 and "query is empty" in empty.output
    project.close()
