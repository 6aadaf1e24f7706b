"""The ingest job on real files, the real embedding model and a real Chroma index."""

import hashlib
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.settings import Settings
from ingest import store as store_module
from ingest.index import KnowledgeIndex
from ingest.pipeline import run_ingest
from ingest.store import VersionStore

FINE_TUNING = """---
title: Fine-tuning notes
url: https://example.com/fine-tuning
---
# Fine-tuning notes

## Data

Fine-tuning needs a large set of labeled examples. Collecting and cleaning them takes weeks.

## Steps

1. Prepare the data
   - remove duplicates
   - label every example
2. Train the model on the prepared data
3. Validate the model on held-out examples
"""

PROMPTING = """# Prompt engineering notes

Prompt engineering changes the instructions, never the model weights. A team can iterate on a
prompt in minutes, testing each version against a few examples.

## Cost

| Aspect | Prompt engineering | Fine-tuning |
| --- | --- | --- |
| Upfront cost | Low | High |
| Per request | Higher, longer prompts | Lower |
"""

RUNNER = CliRunner()


def write_docs(folder: Path, **docs: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in docs.items():
        (folder / name.replace("__", ".")).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def small_settings(tmp_path) -> Settings:
    knowledge = write_docs(
        tmp_path / "knowledge", fine_tuning__md=FINE_TUNING, prompting__md=PROMPTING
    )
    return Settings(knowledge_dir=knowledge, data_dir=tmp_path / "data", _env_file=None)


def chunk_ids(settings: Settings) -> dict[str, set[str]]:
    index = KnowledgeIndex(settings)
    try:
        ids: dict[str, set[str]] = {}
        for chunk in index.chunks():
            ids.setdefault(chunk.doc, set()).add(chunk.id)
        return ids
    finally:
        index.close()


# --- the real knowledge base -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "expected_doc"),
    [
        (
            "What are the phases of the fine-tuning process?",
            "latitude-fine-tuning-vs-prompt-engineering",
        ),
        (
            "What did Brown et al. (2020) show about GPT-3?",
            "rejolut-prompt-engineering-vs-fine-tuning",
        ),
        (
            "What are the challenges of prompt engineering and fine-tuning?",
            "battle-of-prompt-engineering-vs-fine-tuning",
        ),
        (
            "How would you fine-tune an image model to recognise exotic animals?",
            "futurepoint-ai-tech-in-ten",
        ),
    ],
)
def test_search_finds_the_document_that_answers(knowledge_index, question, expected_doc):
    hits = knowledge_index.search(question, k=3)
    assert expected_doc in [hit.doc for hit in hits]
    assert hits == sorted(hits, key=lambda hit: hit.score, reverse=True)


@pytest.mark.parametrize(
    "question",
    [
        "Who are Rejolut's clients?",
        "What is Solana?",
        "Where are Rejolut's offices?",
        "What blockchain projects has the company built?",
        "What do clients say about working with the team?",
    ],
)
def test_advertising_is_not_in_the_index(knowledge_index, question):
    boilerplate = (
        "CoinDCX",
        "Solana",
        "Wenlock Road",
        "Hashing Systems",
        "Pablo Peillard",
        "NFT",
        "RCW",
    )
    for chunk in knowledge_index.chunks():
        assert not any(marker in chunk.text for marker in boilerplate), chunk.text
    hits = knowledge_index.search(question, k=5)
    assert all(hit.score < 0.35 for hit in hits), [(hit.score, hit.text[:80]) for hit in hits]


def test_every_chunk_fits_the_model_and_carries_its_metadata(knowledge_index):
    embedder = knowledge_index.embedder
    limit = embedder.max_input_tokens
    chunks = knowledge_index.chunks()
    assert {chunk.doc for chunk in chunks} == {
        path.stem
        for path in knowledge_index.settings.knowledge_dir.glob("*.md")
        if path.name != "README.md"
    }
    for chunk in chunks:
        assert embedder.count_tokens(chunk.embedding_text()) <= limit
        assert chunk.hash == hashlib.sha256(chunk.text.encode()).hexdigest()
        assert chunk.id == f"{chunk.doc}:{chunk.position}:{chunk.hash[:12]}"
        assert chunk.title
    positions = {}
    for chunk in chunks:
        positions.setdefault(chunk.doc, []).append(chunk.position)
    assert all(sorted(p) == list(range(len(p))) for p in positions.values())


@pytest.mark.integration  # what the cleaning keeps depends on the model's similarities
def test_tables_keep_their_header_and_lists_keep_whole_items(small_settings):
    small_settings = small_settings.model_copy(update={"chunk_tokens": 40})
    run_ingest(small_settings)
    index = KnowledgeIndex(small_settings)
    chunks = index.chunks()
    index.close()
    tables = [chunk for chunk in chunks if chunk.kind == "table"]
    assert tables and all(
        chunk.text.startswith("| Aspect | Prompt engineering | Fine-tuning |") for chunk in tables
    )
    rows = [line for chunk in tables for line in chunk.text.splitlines()[2:]]
    assert rows == [
        "| Upfront cost | Low | High |",
        "| Per request | Higher, longer prompts | Lower |",
    ]
    steps = next(chunk for chunk in chunks if "Prepare the data" in chunk.text)
    assert "- remove duplicates" in steps.text and "- label every example" in steps.text
    assert steps.section == "Steps" and steps.kind == "list"
    assert (
        next(chunk for chunk in chunks if chunk.doc == "fine_tuning").url
        == "https://example.com/fine-tuning"
    )


# --- incremental and safe ---------------------------------------------------------------------


def test_rerun_embeds_nothing_and_writes_nothing(small_settings):
    first = run_ingest(small_settings)
    assert (first.added, first.embedded) == (2, first.chunks)
    versions = sorted(p.name for p in (small_settings.index_dir / "versions").iterdir())
    second = run_ingest(small_settings)
    assert (second.unchanged, second.added, second.updated, second.embedded) == (2, 0, 0, 0)
    assert second.version == first.version
    assert sorted(p.name for p in (small_settings.index_dir / "versions").iterdir()) == versions


@pytest.mark.integration  # what the cleaning keeps depends on the model's similarities
def test_edited_document_is_the_only_one_reembedded(small_settings):
    run_ingest(small_settings)
    before = chunk_ids(small_settings)
    path = small_settings.knowledge_dir / "prompting.md"
    path.write_text(
        PROMPTING + "\nPrompts can be versioned and reviewed like code.\n", encoding="utf-8"
    )
    summary = run_ingest(small_settings)
    after = chunk_ids(small_settings)
    assert (summary.updated, summary.unchanged) == (1, 1)
    assert summary.embedded == len(after["prompting"])
    assert after["fine_tuning"] == before["fine_tuning"]
    assert after["prompting"] != before["prompting"]
    index = KnowledgeIndex(small_settings)
    assert "versioned and reviewed" in index.search("Can prompts be reviewed like code?", 1)[0].text
    index.close()


def test_deleted_document_leaves_the_index(small_settings):
    run_ingest(small_settings)
    (small_settings.knowledge_dir / "fine_tuning.md").unlink()
    summary = run_ingest(small_settings)
    assert (summary.deleted, summary.embedded) == (1, 0)
    index = KnowledgeIndex(small_settings)
    assert {chunk.doc for chunk in index.chunks()} == {"prompting"}
    assert {hit.doc for hit in index.search("labeled examples for fine-tuning", 5)} == {"prompting"}
    index.close()


def test_model_change_rebuilds_by_itself(small_settings, tmp_path):
    first = run_ingest(small_settings)
    # The same weights under another name: a different model as far as the index can tell.
    from ingest.embedding import resolve_model_path

    other = shutil.copytree(
        resolve_model_path(small_settings.embedding_model), tmp_path / "other-model"
    )
    # torch: the ONNX backend would export the copy again (a minute) for the same finding
    changed = small_settings.model_copy(
        update={"embedding_model": str(other), "embedding_backend": "torch"}
    )
    summary = run_ingest(changed)
    assert summary.rebuilt and summary.updated == 2 and summary.embedded == first.chunks
    again = run_ingest(changed)
    assert not again.rebuilt and again.embedded == 0


def test_chunk_size_change_rebuilds_and_rebuild_flag_starts_over(small_settings):
    run_ingest(small_settings)
    smaller = small_settings.model_copy(update={"chunk_tokens": 48})
    assert run_ingest(smaller).rebuilt
    forced = run_ingest(smaller, rebuild=True)
    assert forced.rebuilt and forced.embedded == forced.chunks


def test_dry_run_reports_and_writes_nothing(small_settings):
    first = run_ingest(small_settings)
    (small_settings.knowledge_dir / "fine_tuning.md").unlink()
    write_docs(
        small_settings.knowledge_dir, new__txt="A new note about prompt templates and testing them."
    )
    versions = sorted((small_settings.index_dir / "versions").iterdir())
    preview = run_ingest(small_settings, dry_run=True)
    assert preview.changes["added"] == ["new"] and preview.changes["deleted"] == ["fine_tuning"]
    assert preview.embedded == 0 and preview.version == first.version
    assert sorted((small_settings.index_dir / "versions").iterdir()) == versions


def test_failure_midway_keeps_the_previous_index(small_settings, monkeypatch):
    first = run_ingest(small_settings)
    write_docs(
        small_settings.knowledge_dir,
        extra__md="# Extra\n\nPrompt chaining splits a task into steps.",
    )

    def fail(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(store_module, "add_in_batches", fail)  # mid-way through writing Chroma
    with pytest.raises(RuntimeError, match="disk full"):
        run_ingest(small_settings)
    store = VersionStore(small_settings.index_dir)
    assert store.current_name() == first.version
    index = KnowledgeIndex(small_settings)
    served = {hit.doc for hit in index.search("Prompt chaining splits a task into steps.", 10)}
    assert served and "extra" not in served  # the previous version, whole, without the new file
    index.close()
    monkeypatch.undo()
    recovered = run_ingest(small_settings)
    assert recovered.added == 1
    leftovers = [p.name for p in (small_settings.index_dir / "versions").iterdir()]
    assert leftovers == [recovered.version]  # the unfinished build was cleaned up


# --- bad documents ----------------------------------------------------------------------------


def broken_inputs(folder: Path) -> dict[str, str]:
    """Each kind of bad document, and the words its warning must contain."""
    (folder / "empty.md").write_text("   \n", encoding="utf-8")
    (folder / "binary.txt").write_bytes(b"\x00\x01\x02binary\x00data")
    (folder / "latin1.txt").write_bytes("Caf\xe9 cr\xe8me".encode("latin-1"))
    (folder / "slides.docx").write_bytes(b"PK\x03\x04 not supported")
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4\nthis is not really a pdf")
    return {
        "empty.md": "empty",
        "binary.txt": "binary",
        "latin1.txt": "UTF-8",
        "slides.docx": "unsupported file type",
        "broken.pdf": "PDF",
    }


def test_bad_documents_are_skipped_and_named_the_rest_ingested(small_settings, caplog):
    expected = broken_inputs(small_settings.knowledge_dir)
    summary = run_ingest(small_settings)
    assert summary.added == 2 and summary.skipped == len(expected)
    reasons = {Path(item.file).name: item.reason for item in summary.skipped_files}
    for name, words in expected.items():
        assert words in reasons[name]
        assert any(name in record.getMessage() for record in caplog.records)
    index = KnowledgeIndex(small_settings)
    assert {chunk.doc for chunk in index.chunks()} == {"fine_tuning", "prompting"}
    index.close()


def test_a_document_broken_by_an_edit_keeps_its_previous_chunks(small_settings):
    run_ingest(small_settings)
    before = chunk_ids(small_settings)
    (small_settings.knowledge_dir / "prompting.md").write_bytes(b"\xff\xfe broken \x00")
    summary = run_ingest(small_settings)
    assert summary.skipped == 1 and summary.unchanged == 2
    assert chunk_ids(small_settings) == before


def test_cli_exit_status_and_json_summary(small_settings):
    folders = [
        "--knowledge-dir",
        str(small_settings.knowledge_dir),
        "--data-dir",
        str(small_settings.data_dir),
    ]
    result = RUNNER.invoke(app, ["ingest", "--json", *folders])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert {
        "added",
        "updated",
        "deleted",
        "unchanged",
        "skipped",
        "chunks",
        "seconds",
    } <= summary.keys()
    broken_inputs(small_settings.knowledge_dir)
    result = RUNNER.invoke(app, ["ingest", "--json", *folders])
    assert result.exit_code == 3
    assert json.loads(result.stdout)["skipped"] == 5
    result = RUNNER.invoke(app, ["search", "upfront cost", "-k", "2", "--json", *folders])
    assert result.exit_code == 0
    hits = json.loads(result.stdout)
    assert len(hits) == 2 and set(hits[0]) == {"doc", "title", "section", "text", "score"}
    missing = RUNNER.invoke(
        app,
        [
            "ingest",
            "--knowledge-dir",
            "/nonexistent/knowledge",
            "--data-dir",
            str(small_settings.data_dir),
        ],
    )
    assert missing.exit_code == 1 and "does not exist" in missing.output


def test_search_before_any_ingest_says_what_to_do(tmp_path):
    result = RUNNER.invoke(app, ["search", "cost", "--data-dir", str(tmp_path / "empty")])
    assert result.exit_code == 1
    assert "ai-strategy ingest" in result.output
