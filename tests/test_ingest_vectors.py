"""Ingest embeds each text once (`ingest.vectors`): sentences as documents are read, cleaning's
block topics made of them, chunks whole; a reader finds the sentence vectors stored. And the
batches the model runs them in."""

from pathlib import Path

import numpy as np
import pytest

import ingest.pipeline
from bot.settings import Settings
from ingest.chunking import section_paths
from ingest.embedding import BATCH_TOKENS, EmbedderSpec, length_sorted_batches
from ingest.knowledge import read_chunk
from ingest.parsing import parse_document
from ingest.pipeline import run_ingest
from ingest.settings import DEFAULT_EMBEDDING_MODEL
from ingest.stores import open_store
from ingest.vectors import IngestVectors
from tests.fake_embedder import FakeEmbedder

ARTICLE = """# Adapting models

Sponsored links

## Prompting

Prompt engineering changes the instructions, never the weights. A team iterates in minutes.

Few-shot examples in the prompt show the model the format it should follow.

## Fine-tuning

Fine-tuning retrains the weights on labelled examples. It needs data and compute.

- Collect examples
- Label them carefully
"""

# The same sentence in a second document: embedded once for both.
NOTES = """# Notes

Prompt engineering changes the instructions, never the weights. Teams start there.

Evaluation sets tell whether a change helped.

Costs grow with the length of every prompt sent.
"""


class RecordingEmbedder(FakeEmbedder):
    def __init__(self) -> None:
        super().__init__(EmbedderSpec(model=DEFAULT_EMBEDDING_MODEL))
        self.texts: list[str] = []

    def embed(self, texts, *, threads=1):
        self.texts += list(texts)
        return super().embed(texts, threads=threads)


@pytest.fixture
def recorded(tmp_path, monkeypatch) -> tuple[Settings, RecordingEmbedder]:
    knowledge = tmp_path / "knowledge"
    knowledge.mkdir()
    (knowledge / "article.md").write_text(ARTICLE, encoding="utf-8")
    (knowledge / "notes.md").write_text(NOTES, encoding="utf-8")
    embedder = RecordingEmbedder()
    monkeypatch.setattr(ingest.pipeline, "load_ingest_embedder", lambda settings: embedder)
    settings = Settings(knowledge_dir=knowledge, data_dir=tmp_path / "data", _env_file=None)
    return settings, embedder


def stored(settings: Settings):
    store = open_store(settings)
    name = store.current_name()
    assert name is not None
    records, vectors = store.read_records(name)
    return records, vectors, store.read_sentence_vectors(name)


def test_every_text_is_embedded_once_and_cleaning_embeds_only_sentences(recorded):
    settings, embedder = recorded
    run_ingest(settings)
    records, _, _ = stored(settings)
    assert len(embedder.texts) == len(set(embedder.texts))  # nothing embedded twice
    read = {
        sentence.embedding_text
        for path in sorted(settings.knowledge_dir.iterdir())
        for sentences in block_sentences(parse_document(path))
        for sentence in sentences
    }
    chunks = {record.embedding_text() for record in records}
    kept = {s.embedding_text for record in records for s in record.sentences}
    assert kept <= read  # the chunks' sentences were the ones read for cleaning
    # besides sentences and chunks, only blocks with no sentence of their own, embedded whole
    assert set(embedder.texts) - read - chunks == {
        "Sponsored links",
        "Fine-tuning: - Collect examples",
        "Fine-tuning: - Label them carefully",
    }


def block_sentences(document):
    paths = section_paths(document)
    return [
        read_chunk(paths[id(block)], block.text)[0]
        for block in document.blocks
        if id(block) in paths
    ]


def test_a_blocks_topic_is_the_word_weighted_mean_of_its_sentence_vectors(tmp_path):
    (tmp_path / "article.md").write_text(ARTICLE, encoding="utf-8")
    document = parse_document(tmp_path / "article.md")
    vectors = IngestVectors(FakeEmbedder(), threads=1)
    blocks = [block for block in document.blocks if block.kind == "paragraph"]
    topics = vectors.topics(document)(blocks)
    reference = FakeEmbedder()
    prompting = blocks[1]  # under "## Prompting": two sentences, each read with its heading
    texts = [
        "Prompting: Prompt engineering changes the instructions, never the weights.",
        "Prompting: A team iterates in minutes.",
    ]
    mean = np.array([8, 5]) @ reference.embed(texts)  # their words
    np.testing.assert_allclose(topics[1], mean / np.linalg.norm(mean), atol=1e-6)
    assert prompting.text.startswith("Prompt engineering changes")
    np.testing.assert_allclose(topics[0], reference.embed(["Sponsored links"])[0], atol=1e-6)


def test_the_version_stores_each_chunks_vector_and_its_sentence_vectors(recorded):
    settings, _ = recorded
    run_ingest(settings)
    records, vectors, sentence_vectors = stored(settings)
    reference = FakeEmbedder()
    np.testing.assert_allclose(
        vectors, reference.embed([record.embedding_text() for record in records]), atol=1e-6
    )
    texts = [sentence.embedding_text for record in records for sentence in record.sentences]
    assert sentence_vectors is not None
    np.testing.assert_allclose(sentence_vectors, reference.embed(texts), atol=1e-6)


def test_an_edit_embeds_only_the_edited_documents_new_sentences(recorded):
    settings, embedder = recorded
    run_ingest(settings)
    embedder.texts.clear()
    edited = NOTES + "\nPrompts can be reviewed like code.\n"
    notes: Path = settings.knowledge_dir / "notes.md"
    notes.write_text(edited, encoding="utf-8")
    summary = run_ingest(settings)
    assert (summary.updated, summary.unchanged) == (1, 1)
    assert embedder.texts and all(text in edited for text in embedder.texts)
    assert "Prompts can be reviewed like code." in embedder.texts


def test_batches_are_longest_first_and_within_the_token_budget():
    lengths = [12, 250, 30, 30, 7, 128, 64, 250, 9] * 20
    batches = length_sorted_batches(lengths, batch_size=32)
    rows = np.concatenate(batches)
    assert sorted(rows.tolist()) == list(range(len(lengths)))  # each text exactly once
    padded = [len(batch) * max(lengths[row] for row in batch) for batch in batches]
    assert max(padded) <= BATCH_TOKENS and max(len(batch) for batch in batches) <= 32
    firsts = [lengths[batch[0]] for batch in batches]
    assert firsts == sorted(firsts, reverse=True)  # long batches first, short ones last
    assert length_sorted_batches([600], batch_size=32)[0].tolist() == [0]  # too long: alone
