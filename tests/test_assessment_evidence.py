"""Evidence: every factor cites a real, relevant, non-promotional passage of the knowledge index,
retrieved at run time (real index, real embedding model)."""

import re
from pathlib import Path

import pytest

from bot.assessment import recommend
from bot.assessment.evidence import GAP, find_evidence, is_promotion, publisher_of
from bot.assessment.weights import load_weights
from bot.settings import Settings
from ingest.index import KnowledgeIndex
from ingest.pipeline import run_ingest
from tests.test_assessment import CONTRADICTORY, FIELDS, SCENARIOS

# Answer sets that together give every answer that pushes the recommendation at least once.
SPREAD = [
    dict(zip(FIELDS, columns.split(), strict=True))
    for columns in (
        "general none moderate low days none low frequent false",
        "specialized hundreds high medium weeks some medium occasional false",
        "highly_specialized thousands critical high months strong high rare true",
    )
]
SPREAD[1] = {**SPREAD[1], "output_style": "strict"}  # optional: not among the columns

DATA_DOC = """---
title: Notes on training data
url: https://example.org/notes/training-data
---
# Notes on training data

## How much data

Fine-tuning demands a large dataset of high-quality labeled training data, {amount}.

## Prompts

Prompt engineering does not require any additional training data.
"""

ADVERT = """---
title: Acme AI services
url: https://www.acme-ai.com/services
---
# Fine-tuning services

Fine-tuning needs a large set of high-quality labeled training data: hire our team to build it.

Acme AI delivers the large set of high-quality labeled training data that fine-tuning needs.
"""


def pieces(citation) -> list[str]:
    return [piece.strip() for piece in citation.text.split(GAP.strip())]


@pytest.fixture(scope="module")
def chunks_by_id(knowledge_index):
    return {chunk.id: chunk for chunk in knowledge_index.chunks()}


@pytest.fixture(scope="module")
def spread_recommendations(knowledge_index):
    return [recommend(answers, knowledge_index) for answers in SPREAD]


def test_every_pushing_answer_is_covered(spread_recommendations):
    weights = load_weights()
    cited = {(f.field, f.value) for r in spread_recommendations for f in r.factors}
    pushing = {
        (field, value)
        for field, weighted in weights.factors.items()
        for value, weight in weighted.values.items()
        if weight.strength
    }
    assert cited == pushing


def test_every_factor_cites_a_passage_of_the_knowledge_base(spread_recommendations, chunks_by_id):
    for recommendation in spread_recommendations:
        for factor in recommendation.factors:
            citation = factor.citation
            assert citation is not None, factor
            chunk = chunks_by_id[citation.chunk_id]
            assert (citation.doc, citation.title, citation.section, citation.url) == (
                chunk.doc,
                chunk.title,
                chunk.section,
                chunk.url,
            )
            assert all(piece and piece in chunk.text for piece in pieces(citation)), citation
            assert citation in recommendation.citations


def test_every_citation_holds_its_key_terms(spread_recommendations):
    """Relevant: the excerpt itself contains one of the terms its line is about."""
    weights = load_weights()
    for recommendation in spread_recommendations:
        for factor in recommendation.factors:
            terms = weights.weight(factor.field, factor.value).evidence.key_terms
            text = factor.citation.text.lower()
            assert any(term in text for group in terms for term in group), (factor.field, text)


@pytest.mark.parametrize(
    ("field", "value", "pattern"),
    [
        ("labeled_data", "thousands", r"\bdata"),
        ("labeled_data", "none", r"\bdata"),
        ("ml_expertise", "strong", r"machine learning"),
        ("ml_expertise", "none", r"expertise|programming"),
        ("timeline", "days", r"hours|days"),
        ("accuracy", "critical", r"accura|precision"),
        ("domain", "highly_specialized", r"medical|legal"),
        ("sensitive_data", "true", r"sensitive data"),
        ("change_frequency", "frequent", r"frequent|update|chang"),
        ("volume", "high", r"volume|per-request|requests"),
    ],
)
def test_the_passage_says_what_the_line_claims(spread_recommendations, field, value, pattern):
    factors = [
        f for r in spread_recommendations for f in r.factors if (f.field, f.value) == (field, value)
    ]
    assert factors
    assert re.search(pattern, factors[0].citation.text, re.IGNORECASE), factors[0].citation.text


def test_the_next_steps_have_a_source(spread_recommendations):
    for recommendation in spread_recommendations:
        cited_by_factors = {f.citation.text for f in recommendation.factors}
        assert any(c.text not in cited_by_factors for c in recommendation.citations)


def test_no_citation_is_advertising(knowledge_index):
    for _, columns, _ in SCENARIOS[::5]:
        recommendation = recommend(dict(zip(FIELDS, columns.split(), strict=True)), knowledge_index)
        for citation in recommendation.citations:
            assert not is_promotion(citation.text), citation.text
            assert not re.search(r"\bhire\b|Latitude|FuturePoint|Rejolut|\bour\b", citation.text)


@pytest.mark.parametrize(
    ("sentence", "publisher", "promotion"),
    [
        ("Hire prompt engineers to get the best results.", None, True),
        ("Please contact us for a free consultation.", None, True),
        ("Platforms like Latitude make prompt engineering more efficient.", None, True),
        ("Latitude's platform helps teams design prompts.", None, True),
        ("FuturePoint Digital leverages both approaches.", "futurepointdigital", True),
        ("Fine-tuning demands a large dataset of high-quality training data.", None, False),
        ("Prompt engineering reduces costs.", "latitude", False),
    ],
)
def test_promotion_is_recognized(sentence, publisher, promotion):
    assert is_promotion(sentence, publisher=publisher) is promotion


def test_publisher_comes_from_the_url():
    assert publisher_of("https://www.futurepointdigital.com/ai") == "futurepointdigital"
    assert publisher_of("https://acme-ai.com/x") == "acmeai"
    assert publisher_of("https://ai.io/") is None
    assert publisher_of(None) is None


def build_index(tmp_path: Path, **docs: str) -> KnowledgeIndex:
    knowledge = tmp_path / "knowledge"
    knowledge.mkdir(exist_ok=True)
    for name, text in docs.items():
        (knowledge / f"{name}.md").write_text(text, encoding="utf-8")
    settings = Settings(knowledge_dir=knowledge, data_dir=tmp_path / "data", _env_file=None)
    assert run_ingest(settings).skipped == 0
    return KnowledgeIndex(settings)


def test_editing_the_knowledge_base_changes_the_evidence(tmp_path):
    data = load_weights().weight("labeled_data", "thousands").evidence
    index = build_index(tmp_path, notes=DATA_DOC.format(amount="often thousands of examples"))
    try:
        before = find_evidence(index, data)
        assert before.doc == "notes" and before.url == "https://example.org/notes/training-data"
        assert "often thousands of examples" in before.text
        build_index(tmp_path, notes=DATA_DOC.format(amount="at least fifty thousand rows"))
        after = find_evidence(index, data)  # the same open index follows the new version
        assert "at least fifty thousand rows" in after.text
        assert "often thousands" not in after.text
    finally:
        index.close()


def test_advertising_is_never_cited_even_when_it_matches(tmp_path):
    """The advert is the closest passage to the labeled-data query, but a pitch."""
    prompts = "# Prompts\n\nPrompt engineering does not require any additional training data.\n"
    index = build_index(tmp_path, prompts=prompts, acme=ADVERT)
    try:
        query = load_weights().weight("labeled_data", "thousands").evidence.query
        assert index.search(query, 1)[0].doc == "acme"
        recommendation = recommend(CONTRADICTORY | {"labeled_data": "thousands"}, index)
        assert all(citation.doc != "acme" for citation in recommendation.citations)
        data = next(f for f in recommendation.factors if f.field == "labeled_data")
        assert data.citation is None  # no honest passage left: no citation, not the advert
    finally:
        index.close()


def test_without_supporting_passages_factors_say_so_instead_of_citing_noise(tmp_path):
    index = build_index(
        tmp_path, cats="# Cats\n\nCats sleep for most of the day, mostly in the sun.\n"
    )
    try:
        recommendation = recommend(CONTRADICTORY, index)
    finally:
        index.close()
    assert recommendation.outcome == "hybrid"
    assert all(factor.citation is None for factor in recommendation.factors)
    assert recommendation.citations == []
