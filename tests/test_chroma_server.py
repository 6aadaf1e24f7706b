"""Ingest and search through a real Chroma server (`chroma run`) on loopback."""

import pytest

from bot.settings import Settings
from ingest.index import KnowledgeIndex
from ingest.pipeline import run_ingest
from tests.serve_process import ChromaServer

pytestmark = pytest.mark.slow


@pytest.fixture
def server(tmp_path):
    chroma = ChromaServer(tmp_path / "chroma-server")
    chroma.start()
    yield chroma
    if chroma.process.poll() is None:
        chroma.stop()


@pytest.fixture
def settings(tmp_path, server) -> Settings:
    knowledge = tmp_path / "knowledge"
    knowledge.mkdir()
    (knowledge / "data.md").write_text(
        "# Data\n\nFine-tuning needs thousands of labeled examples.\n"
    )
    (knowledge / "prompts.md").write_text(
        "# Prompts\n\nPrompt engineering iterates on instructions in minutes.\n"
    )
    return Settings(
        knowledge_dir=knowledge,
        data_dir=tmp_path / "data",
        chroma_host="127.0.0.1",
        chroma_port=server.port,
        _env_file=None,
    )


def test_ingest_search_and_incremental_reingest_through_the_server(settings):
    first = run_ingest(settings)
    assert (first.added, first.chunks) == (2, 2)
    assert not (settings.index_dir / "versions").exists() or not any(
        (settings.index_dir / "versions").iterdir()
    )
    index = KnowledgeIndex(settings)
    assert index.search("How many labeled examples?", 1)[0].doc == "data"
    assert run_ingest(settings).embedded == 0
    (settings.knowledge_dir / "prompts.md").write_text(
        "# Prompts\n\nPrompt templates are reviewed like code.\n"
    )
    (settings.knowledge_dir / "data.md").unlink()
    second = run_ingest(settings)
    assert (second.updated, second.deleted, second.embedded) == (1, 1, 1)
    hit = index.search("Are templates reviewed?", 1)[0]
    assert index.version == second.version and "reviewed like code" in hit.text
    assert {chunk.doc for chunk in index.chunks()} == {"prompts"}
    index.close()


def test_server_going_away_is_a_clear_error_and_recovers_with_nothing_lost(settings, server):
    run_ingest(settings)
    index = KnowledgeIndex(settings)
    before = index.search("labeled examples", 2)
    server.stop()
    with pytest.raises(Exception) as failure:
        index.search("labeled examples", 2)
    assert "connect" in str(failure.value).lower() or "chroma" in str(failure.value).lower()
    server.start()
    assert index.search("labeled examples", 2) == before
    assert run_ingest(settings).embedded == 0  # the index survived whole
    index.close()
