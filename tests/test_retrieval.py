"""Hybrid retrieval: fusion beats each retriever alone, stays diverse, follows new versions."""

from collections import Counter

import pytest

from bot.answering.engine import AnswerEngine
from bot.answering.evaluation import load_questions, retrieval_score
from bot.answering.retrieval import (
    Corpus,
    HybridRetriever,
    RankedChunk,
    RetrievalMode,
    diversify,
    reciprocal_rank_fusion,
)
from bot.settings import Settings
from ingest.index import KnowledgeIndex
from ingest.pipeline import run_ingest
from tests.conftest import SHARED_DIR

DEV_QUESTIONS = SHARED_DIR / "eval" / "dev_questions.jsonl"


@pytest.fixture(scope="module")
def engine(indexed_settings, knowledge_index) -> AnswerEngine:
    engine = AnswerEngine(indexed_settings, knowledge_index)
    engine.warm_up()
    return engine


def test_reciprocal_rank_fusion_rewards_agreement():
    fused = reciprocal_rank_fusion([[1, 2, 3], [3, 1, 4]])
    assert sorted(fused, key=lambda item: -fused[item]) == [1, 3, 2, 4]


def test_diversify_caps_each_document_among_the_first_results(knowledge_index):
    chunks = knowledge_index.chunks()
    same_doc = [chunk for chunk in chunks if chunk.doc == chunks[0].doc][:4]
    other = next(chunk for chunk in chunks if chunk.doc != chunks[0].doc)
    ranked = [
        RankedChunk(position=i, chunk=chunk, dense=0, bm25=0, fused=1 - i / 10)
        for i, chunk in enumerate([*same_doc, other])
    ]
    diverse = diversify(ranked, k=3, per_document=2)
    assert [item.chunk.id for item in diverse[:3]] == [same_doc[0].id, same_doc[1].id, other.id]
    assert len(diverse) == len(ranked)


def test_hybrid_results_spread_over_documents(engine):
    ranked = engine.retrieve("What is prompt engineering?", k=8)
    assert max(Counter(item.chunk.doc for item in ranked).values()) <= 2
    assert ranked[0].fused >= ranked[-1].fused


def test_bm25_finds_exact_names_that_dense_search_misses(engine):
    bm25 = engine.retrieve("Brown et al. (2020)", k=1, mode=RetrievalMode.bm25)
    assert "Brown et al." in bm25[0].chunk.text


@pytest.mark.skipif(not DEV_QUESTIONS.is_file(), reason="no ../shared/eval/dev_questions.jsonl")
def test_fusion_beats_dense_only_and_bm25_only_on_the_dev_set(engine):
    questions = [
        question for question in load_questions(DEV_QUESTIONS) if not question.out_of_scope
    ]
    scores = {mode: retrieval_score(engine, questions, mode=mode, k=5) for mode in RetrievalMode}
    hybrid = scores[RetrievalMode.hybrid]
    for single in (RetrievalMode.dense, RetrievalMode.bm25):
        assert hybrid.recall >= scores[single].recall
        assert hybrid.mrr > scores[single].mrr


def test_a_new_index_version_is_picked_up_without_restart(tmp_path):
    knowledge = tmp_path / "knowledge"
    knowledge.mkdir()
    (knowledge / "basics.md").write_text(
        "# Basics\n\nPrompt engineering shapes the input given to a model.\n\n"
        "Fine-tuning changes the weights of a model with training data.\n"
    )
    settings = Settings(knowledge_dir=knowledge, data_dir=tmp_path / "data", _env_file=None)
    run_ingest(settings)
    index = KnowledgeIndex(settings)
    try:
        retriever = HybridRetriever(index)
        first = retriever.corpus()
        assert retriever.corpus() is first  # prepared once per version
        (knowledge / "tokens.md").write_text(
            "# Tokens\n\nA zebracorn budget limits how many tokens a prompt may use.\n"
        )
        run_ingest(settings)
        second = retriever.corpus()
        assert second is not first and second.version != first.version
        vector = index.embed_query("zebracorn budget")
        found = retriever.retrieve(
            query="zebracorn budget", vector=vector, k=1, mode=RetrievalMode.bm25
        )
        assert found[0].chunk.doc == "tokens"
    finally:
        index.close()


class CountingEmbeddings:
    """Wraps the real embeddings and counts the documents embedded."""

    def __init__(self, embeddings) -> None:
        self.embeddings = embeddings
        self.embedded = 0

    def embed(self, texts):
        self.embedded += len(texts)
        return self.embeddings.embed(texts)


def test_passage_vectors_are_cached_on_disk_per_content(knowledge_index, tmp_path):
    chunks = knowledge_index.chunks()[:6]
    counting = CountingEmbeddings(knowledge_index.embedder)
    first = Corpus("v1", chunks, counting, model_name="m", cache_dir=tmp_path)
    vectors = first.passage_vectors
    assert counting.embedded == len(first.passages) > 0
    again = Corpus("v2", chunks, counting, model_name="m", cache_dir=tmp_path)
    assert (again.passage_vectors == vectors).all()
    assert counting.embedded == len(first.passages)  # read back, not embedded again
    Corpus("v3", chunks, counting, model_name="other", cache_dir=tmp_path).passage_vectors  # noqa: B018
    assert counting.embedded == 2 * len(first.passages)  # another model: embedded anew
