"""The ONNX backend against the torch reference: same vectors, same retrieval, no torch at query time.

Parity is measured on the real model over the real knowledge base: every chunk and every
passage an answer may quote, embedded by both backends in batches (so padding matters).
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from bot.answering.passages import passages_of
from bot.cli import app
from bot.settings import Settings
from ingest import onnx_embedder, onnx_export, openvino_runner
from ingest.embedding import EmbedderSpec, load_spec, resolve_model_path
from ingest.index import IndexMismatchError, KnowledgeIndex
from ingest.onnx_embedder import OnnxEmbedder
from ingest.onnx_export import (
    ExportManifest,
    ModelExportError,
    ModelIntegrityError,
    ensure_exported,
    export_folder,
    verified_model,
)
from ingest.openvino_runner import bf16_supported
from ingest.pipeline import run_ingest
from ingest.settings import DEFAULT_EMBEDDING_MODEL
from ingest.stores import open_store

REPO = Path(__file__).resolve().parents[1]
DEV_QUESTIONS = REPO.parent / "shared" / "eval" / "dev_questions.jsonl"
# OpenVINO is an ingest's bulk runtime: queries neither import nor compile it.
QUERY_PATH_FORBIDDEN = (
    "torch",
    "transformers",
    "sentence_transformers",
    "langchain_huggingface",
    "openvino",
)
# The answer engine scores the chunks in memory: a cold `ask` does not open Chroma either.
ASK_FORBIDDEN = (*QUERY_PATH_FORBIDDEN, "chromadb")


def backend(settings: Settings, **changes) -> EmbedderSpec:
    return EmbedderSpec.of(settings.model_copy(update=changes))


@pytest.fixture(scope="module")
def corpus_texts(knowledge_index) -> list[str]:
    """What the index embeds (chunks) and what answers embed (passages) of knowledge/."""
    chunks = knowledge_index.chunks()
    passages = [
        passage.embedding_text
        for position, chunk in enumerate(chunks)
        for passage in passages_of(chunk, position)
    ]
    return [chunk.embedding_text() for chunk in chunks] + passages


def worst_cosine(first: np.ndarray, second: np.ndarray) -> float:
    return float((first * second).sum(axis=1).min())


def test_onnx_vectors_match_torch_and_count_the_same_tokens(indexed_settings, corpus_texts):
    onnx = load_spec(backend(indexed_settings, embedding_backend="onnx"))
    torch = load_spec(backend(indexed_settings, embedding_backend="torch"))
    assert worst_cosine(onnx.embed(corpus_texts), torch.embed(corpus_texts)) >= 0.999
    # one at a time too: no padding, other shapes than any batch
    alone = np.concatenate([onnx.embed([text]) for text in corpus_texts[:40]])
    assert worst_cosine(alone, torch.embed(corpus_texts[:40])) >= 0.999
    assert [onnx.count_tokens(text) for text in corpus_texts] == [
        torch.count_tokens(text) for text in corpus_texts
    ]
    assert onnx.max_input_tokens == torch.max_input_tokens
    assert onnx.dimension == torch.dimension == 384


def test_vectors_come_back_in_the_order_of_the_texts(indexed_settings, corpus_texts):
    onnx = load_spec(backend(indexed_settings))
    texts = corpus_texts[:70]
    together = onnx.embed(texts, threads=2)  # sorted by length into batches, run in parallel
    assert np.allclose(together, np.concatenate([onnx.embed([text]) for text in texts]), atol=1e-5)
    assert np.allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)


@pytest.mark.skipif(not bf16_supported(), reason="this CPU computes no bf16")
def test_bf16_ingest_vectors_stay_in_the_fp32_space(indexed_settings, corpus_texts):
    onnx = load_spec(backend(indexed_settings))
    torch = load_spec(backend(indexed_settings, embedding_backend="torch"))
    bulk = onnx.bf16
    assert bulk is not None and bulk.variant == "bf16"
    vectors = bulk.embed(corpus_texts, threads=2)
    assert worst_cosine(vectors, torch.embed(corpus_texts)) >= 0.999
    assert not np.allclose(vectors, onnx.embed(corpus_texts), atol=1e-5)  # bf16 did run
    # rows in the order of the texts, whatever the batches and threads
    alone = np.concatenate([bulk.embed([text], threads=1) for text in corpus_texts[:40]])
    assert worst_cosine(alone, vectors[:40]) >= 0.9999
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_ingest_embeds_on_onnxruntime_where_bf16_is_missing_or_strays(
    indexed_settings, monkeypatch, caplog
):
    onnx = load_spec(backend(indexed_settings))
    make_bf16 = OnnxEmbedder.bf16.func  # uncached: each call decides anew
    with monkeypatch.context() as patched:
        patched.setattr(openvino_runner, "bf16_supported", lambda: False)
        assert make_bf16(onnx) is None
    if bf16_supported():
        monkeypatch.setattr(onnx_embedder, "FP32_MIN_COSINE", 1.0001)
        assert make_bf16(onnx) is None
        assert "ingest embeds with onnxruntime (fp32)" in caplog.text
    int8 = load_spec(backend(indexed_settings, embedding_quantized=True))
    assert isinstance(int8, OnnxEmbedder) and make_bf16(int8) is None


@pytest.mark.slow
def test_int8_vectors_stay_close_to_torch(indexed_settings, corpus_texts):
    int8 = load_spec(backend(indexed_settings, embedding_quantized=True))
    torch = load_spec(backend(indexed_settings, embedding_backend="torch"))
    assert worst_cosine(int8.embed(corpus_texts), torch.embed(corpus_texts)) >= 0.98
    manifest = ExportManifest.read(
        export_folder(indexed_settings.models_dir, int8.spec.model, True)
    )
    assert manifest.variant == "int8" and manifest.min_cosine >= 0.98


def dev_set_report(tmp_path: Path, monkeypatch, name: str, **environment: str) -> dict:
    """The eval report on the dev questions, over an index built with these settings."""
    for key, value in environment.items():
        monkeypatch.setenv(key, value)
    data_dir = tmp_path / name
    run_ingest(Settings(knowledge_dir=REPO / "knowledge", data_dir=data_dir, _env_file=None))
    result = CliRunner().invoke(
        app, ["eval", "--json", "--questions", str(DEV_QUESTIONS), "--data-dir", str(data_dir)]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    report.pop("latency_ms")
    return report


@pytest.mark.slow
def test_dev_set_retrieval_and_citations_are_unchanged_by_the_backend(tmp_path, monkeypatch):
    torch = dev_set_report(tmp_path, monkeypatch, "torch", AI_STRATEGY_EMBEDDING_BACKEND="torch")
    onnx = dev_set_report(
        tmp_path,
        monkeypatch,
        "onnx",
        AI_STRATEGY_EMBEDDING_BACKEND="onnx",
        AI_STRATEGY_EMBEDDING_INGEST_PRECISION="fp32",
    )
    assert onnx == torch
    hybrid = next(row for row in onnx["retrieval"] if row["mode"] == "hybrid")
    assert hybrid["recall"] > 0.5 and onnx["citation_hit_rate"] > 0.5


@pytest.mark.slow
@pytest.mark.skipif(not bf16_supported(), reason="this CPU computes no bf16")
def test_an_index_embedded_in_bf16_keeps_the_dev_set_retrieval_and_citations(tmp_path, monkeypatch):
    fp32 = dev_set_report(
        tmp_path, monkeypatch, "fp32", AI_STRATEGY_EMBEDDING_INGEST_PRECISION="fp32"
    )
    bf16 = dev_set_report(
        tmp_path, monkeypatch, "bf16", AI_STRATEGY_EMBEDDING_INGEST_PRECISION="bf16"
    )
    store = open_store(Settings(data_dir=tmp_path / "bf16", _env_file=None))
    assert store.read_manifest(store.current_name()).embedder["variant"] == "bf16"
    # What answers read is unchanged: recall@5 of every retriever, the hybrid ranking (MRR),
    # citations, declines. Dense retrieval alone may move a chunk ranked past the answers'
    # cut-off by a place (MRR 0.358 -> 0.357 on the dev set).
    for row_fp32, row_bf16 in zip(fp32.pop("retrieval"), bf16.pop("retrieval"), strict=True):
        assert row_bf16["recall"] == row_fp32["recall"], row_bf16
        tolerance = 0 if row_bf16["mode"] == "hybrid" else 0.005
        assert abs(row_bf16["mrr"] - row_fp32["mrr"]) <= tolerance, row_bf16
    assert bf16 == fp32


@pytest.mark.slow
def test_a_cold_ask_imports_neither_torch_nor_transformers_nor_chroma(indexed_settings, models_dir):
    probe = (
        "import sys\n"
        "from bot.cli import main\n"
        "try:\n    main()\nexcept SystemExit as done:\n    code = done.code\n"
        f"loaded = sorted({{m.split('.')[0] for m in sys.modules}} & {set(ASK_FORBIDDEN)!r})\n"
        "print('LOADED', loaded, code, file=sys.stderr)\n"
    )
    environment = {
        **os.environ,
        "AI_STRATEGY_DATA_DIR": str(indexed_settings.data_dir),
        "AI_STRATEGY_MODEL_DIR": str(models_dir),
    }
    done = subprocess.run(
        [sys.executable, "-c", probe, "ask", "When should a team fine-tune a model?"],
        capture_output=True,
        text=True,
        env=environment,
        timeout=300,
        check=False,
    )
    assert "Sources:" in done.stdout, done.stderr[-2000:]
    assert "LOADED [] 0" in done.stderr, done.stderr[-2000:]


def test_switching_to_torch_keeps_the_index_and_int8_forces_a_rebuild(tmp_path):
    knowledge = tmp_path / "knowledge"
    knowledge.mkdir()
    (knowledge / "note.md").write_text(
        "# Note\n\nFew-shot prompts show a model examples of the task before it answers.\n\n"
        "Fine-tuning trains the weights on labelled examples.\n",
        encoding="utf-8",
    )
    settings = Settings(knowledge_dir=knowledge, data_dir=tmp_path / "data", _env_file=None)
    first = run_ingest(settings)
    assert first.embedded > 0
    torch = run_ingest(settings.model_copy(update={"embedding_backend": "torch"}))
    assert not torch.rebuilt and torch.embedded == 0  # same vectors: parity allows the mix
    quantized = settings.model_copy(update={"embedding_quantized": True})
    index = KnowledgeIndex(quantized)
    with pytest.raises(IndexMismatchError, match="ai-strategy ingest"):
        index.search("few-shot prompts", 1)
    index.close()
    rebuilt = run_ingest(quantized)
    assert rebuilt.rebuilt and rebuilt.embedded == first.embedded
    store_manifest = json.loads(
        (settings.index_dir / "versions" / rebuilt.version / "manifest.json").read_text()
    )
    assert store_manifest["embedder"] == {
        "backend": "onnx",
        "model": settings.embedding_model,
        "variant": "int8",
    }
    index = KnowledgeIndex(quantized)
    assert index.search("few-shot prompts", 1)[0].doc == "note"
    index.close()


def test_a_corrupted_export_is_detected_by_its_checksum(indexed_settings, tmp_path):
    spec = backend(indexed_settings)
    source = ensure_exported(
        resolve_model_path(spec.model), spec.models_dir, model=spec.model, quantized=False
    )
    copy = shutil.copytree(source, tmp_path / source.name)
    manifest = ExportManifest.read(copy)
    assert verified_model(copy, manifest, always=True)  # intact
    data = bytearray((copy / "model.onnx").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (copy / "model.onnx").write_bytes(bytes(data))
    with pytest.raises(ModelIntegrityError, match="model export --force"):
        verified_model(copy, manifest)


@pytest.mark.slow
def test_an_export_that_does_not_match_torch_is_refused(indexed_settings, tmp_path, monkeypatch):
    spec = backend(indexed_settings)
    good = ensure_exported(
        resolve_model_path(spec.model), spec.models_dir, model=spec.model, quantized=False
    )
    int8 = ensure_exported(
        resolve_model_path(spec.model), spec.models_dir, model=spec.model, quantized=True
    )

    def wrong_export(model_path, target):  # vectors at cosine ~0.985: not good enough for fp32
        shutil.copyfile(int8 / "model.onnx", target / "model.onnx")
        return "a wrong exporter"

    monkeypatch.setattr(onnx_export, "_export_fp32", wrong_export)
    models = tmp_path / "models"
    with pytest.raises(ModelExportError, match=r"cosine 0\.9"):
        ensure_exported(resolve_model_path(spec.model), models, model=spec.model, quantized=False)
    assert [path.name for path in models.iterdir()] == [".export.lock"]  # nothing kept
    assert good.is_dir()


def test_sentence_vectors_are_stored_with_the_version_and_read_not_embedded(tmp_path, monkeypatch):
    knowledge = tmp_path / "knowledge"
    knowledge.mkdir()
    (knowledge / "a.md").write_text(
        "# A\n\nFew-shot prompts show examples. They cost context length.\n", encoding="utf-8"
    )
    (knowledge / "b.md").write_text(
        "# B\n\nFine-tuning trains the weights. It needs labelled data.\n", encoding="utf-8"
    )
    settings = Settings(knowledge_dir=knowledge, data_dir=tmp_path / "data", _env_file=None)
    first = run_ingest(settings)
    (knowledge / "b.md").write_text(
        "# B\n\nFine-tuning trains the weights on labelled data.\n", encoding="utf-8"
    )
    second = run_ingest(settings)
    assert second.updated == 1 and second.unchanged == 1
    index = KnowledgeIndex(settings)
    version, chunks, stored = index.snapshot()
    assert version == second.version
    texts = [sentence.embedding_text for chunk in chunks for sentence in chunk.sentences]
    assert stored.shape == (len(texts), 384)
    # a's rows were copied from the first version, b's embedded anew: both match the model
    assert worst_cosine(stored, index.embedder.embed(texts)) >= 0.9999

    from bot.answering.retrieval import HybridRetriever

    def no_embedding(*args, **kwargs):
        raise AssertionError("a reader embedded the sentences again")

    retriever = HybridRetriever(index, cache_dir=None)
    monkeypatch.setattr(type(index.embedder), "embed", no_embedding)
    assert (retriever.corpus().passage_vectors == stored).all()
    index.close()
    assert first.version != second.version


@pytest.mark.slow
def test_an_int8_export_into_an_empty_folder_exports_fp32_first_without_waiting_on_itself(
    tmp_path,
):
    """The int8 model is quantized from the fp32 export, which it makes first if missing (it
    once did so under the export lock it already held, and waited on itself for ever)."""
    models = tmp_path / "models"
    done = subprocess.run(
        [str(Path(sys.executable).with_name("ai-strategy")), "model", "export", "--quantized"],
        capture_output=True,
        text=True,
        env={**os.environ, "AI_STRATEGY_MODEL_DIR": str(models)},
        stdin=subprocess.DEVNULL,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    for quantized, variant in ((False, "fp32"), (True, "int8")):
        manifest = ExportManifest.read(export_folder(models, DEFAULT_EMBEDDING_MODEL, quantized))
        assert manifest.variant == variant
