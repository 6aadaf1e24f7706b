"""The fast tier embeds with FakeEmbedder: ingest and search work on it, and load no model."""

import ast

import numpy as np

from bot.settings import Settings
from ingest.index import KnowledgeIndex
from ingest.pipeline import run_ingest
from tests.conftest import REPO, real_model_loads
from tests.fake_embedder import DIMENSION, FakeEmbedder


def test_fake_vectors_are_unit_length_stable_and_lexical():
    fake = FakeEmbedder()
    texts = ["Fine-tuning needs labeled examples.", "fine tuning NEEDS labeled examples",
             "Prompts cost nothing to change."]  # fmt: skip
    vectors = fake.embed(texts)
    assert vectors.shape == (3, DIMENSION) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0)
    assert np.allclose(vectors, FakeEmbedder().embed(texts))  # no state, no randomness
    assert vectors[0] @ vectors[1] > 0.99 > 0.5 > vectors[0] @ vectors[2]
    assert fake.count_tokens("Fine-tuning, twice.") == 6


def test_the_fast_tier_ingests_and_searches_on_the_fake(tmp_path):
    knowledge = tmp_path / "knowledge"
    knowledge.mkdir()
    (knowledge / "data.md").write_text(
        "---\ntitle: Data needs\n---\n# Data needs\n\n"
        "Fine-tuning needs hundreds of labeled examples before it beats a good prompt.\n"
    )
    (knowledge / "cost.md").write_text(
        "---\ntitle: Costs\n---\n# Costs\n\n"
        "Prompt engineering costs an afternoon of iteration and no training budget.\n"
    )
    settings = Settings(knowledge_dir=knowledge, data_dir=tmp_path / "data", _env_file=None)
    loads = real_model_loads()
    summary = run_ingest(settings)
    index = KnowledgeIndex(settings)
    try:
        assert summary.added == 2 and summary.chunks >= 2
        assert isinstance(index.embedder, FakeEmbedder)
        hits = index.search("how many labeled examples does fine-tuning need", k=2)
        assert hits[0].doc == "data" and hits[0].score > hits[1].score
    finally:
        index.close()
    assert real_model_loads() == loads  # the real model was not loaded


def test_tests_import_nothing_from_bench():
    """Benchmarks may use the test helpers; tests never depend on a benchmark."""
    importing = []
    for path in sorted(REPO.joinpath("tests").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            if any(name == "bench" or name.startswith("bench.") for name in names):
                importing.append(path.name)
    assert importing == []
