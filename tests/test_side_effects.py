"""Using agentkit as a library leaves the process alone: no environment variables set, no logging
configured, nothing printed. Each case runs this file as a script in a fresh interpreter, which
snapshots the process, imports agentkit, builds a small project with the real MiniLM embedder,
indexes and searches documents, builds the MCP server, and reports what changed."""

from __future__ import annotations

import importlib
import json
import logging
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

DEFINITIONS = textwrap.dedent(
    """
    from agentkit import Entity, Feature, FeatureView, Scope

    customer = Entity(name="customer", join_key="customer_id", description="A customer.", scope=Scope.subject())
    customer_profile = FeatureView(
        name="customer_profile", entity=customer, description="Account facts.", owner="crm",
        features=(Feature(name="tier", dtype="enum", values=("bronze", "silver", "gold"), description="Loyalty tier."),),
    )
    """
)

SCENARIOS = {
    "no logging configured": False,
    "the application logs warnings to stderr": True,
}


def _probe(root: Path, report: Path, *, configure_logging: bool) -> None:
    """Run in the child interpreter: use agentkit, then write what changed to ``report``."""
    if configure_logging:  # what an application does; library noise below WARNING must not reach it
        logging.basicConfig(level=logging.WARNING)
    # The engines' own import-time effects are not agentkit's to undo: scikit-learn (imported by
    # sentence-transformers) sets KMP_DUPLICATE_LIB_OK and KMP_INIT_AT_FORK, torch's inductor sets
    # TORCHINDUCTOR_CACHE_DIR. Import it first, so the snapshot below measures agentkit.
    importlib.import_module("sentence_transformers")

    logger = logging.getLogger()
    handlers, level, environ = list(logger.handlers), logger.level, dict(os.environ)

    import agentkit as ak

    (root / "agentkit.toml").write_text(
        '[project]\nname = "probe"\ndefinitions = "features.py"\n\n[offline]\nnamespace = "agentkit"\n'
    )
    (root / "features.py").write_text(DEFINITIONS)
    project = ak.Project.load(root / "agentkit.toml")
    project.apply()
    project.docs.add(
        [
            ak.Document(id="refund-policy", title="Refunds", text="Late orders are refunded within five days."),
            ak.Document(id="tipping", title="Tipping", text="You can tip your courier in the app after delivery."),
        ]
    )
    hits = project.search_docs("when do I get my money back for a late order?", k=1)
    assert [h.document_id for h in hits] == ["refund-policy"]
    server = ""
    try:
        ak.build_mcp_server(project)
    except Exception as exc:  # reported, so the test can say what failed
        server = f"{type(exc).__name__}: {exc}"
    project.close()

    now = dict(os.environ)
    changed = sorted(k for k in {*environ, *now} if environ.get(k) != now.get(k))
    report.write_text(
        json.dumps(
            {
                "environ_changed": {k: [environ.get(k), now.get(k)] for k in changed},
                "root_handlers": [repr(h) for h in logger.handlers] if logger.handlers != handlers else None,
                "root_level": logger.level if logger.level != level else None,
                "server_error": server,
            }
        )
    )


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_using_agentkit_changes_no_environment_logging_or_output(tmp_path: Path, scenario: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "TRANSFORMERS_"))}
    report = tmp_path / "report.json"
    args = [sys.executable, __file__, str(tmp_path / "project"), str(report), str(SCENARIOS[scenario])]
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-4000:]
    assert done.stdout == ""
    assert done.stderr == ""
    changes = json.loads(report.read_text())
    assert changes["environ_changed"] == {}
    assert changes["root_handlers"] is None
    assert changes["root_level"] is None
    assert changes["server_error"] == ""


if __name__ == "__main__":
    project_root = Path(sys.argv[1])
    project_root.mkdir(parents=True)
    _probe(project_root, Path(sys.argv[2]), configure_logging=sys.argv[3] == "True")
