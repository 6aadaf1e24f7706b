"""A planted document contradicting the others is surfaced as a disagreement, each side cited,
and an admin's `trust: low` is shown beside its citation and weighted down (issue 12, item 8)."""

import shutil

import pytest

from bot.answering.conflicts import find_conflict, judgment
from bot.answering.engine import AnswerEngine
from bot.answering.scoring import question_terms
from bot.answering.stance import aspect_family
from bot.settings import Settings
from bot.slack.blocks import sources
from ingest.index import KnowledgeIndex
from ingest.pipeline import run_ingest
from tests.conftest import KNOWLEDGE_DIR
from tests.slack_helpers import block_texts

PLANTED = """---
title: Fine-tuning pricing update (official)
trust: low
---
# Fine-tuning pricing update (official)

Fine-tuning is always free: there is no cost to fine-tuning a model, whatever its size.
"""
COST = aspect_family(question_terms("How much does fine-tuning cost?"))


def test_judgments_of_one_approach_on_the_aspect_asked():
    assert judgment("Fine-tuning is always free.", aspect=COST) == 1
    assert judgment("Fine-tuning is resource-intensive and costly.", aspect=COST) == -1
    assert judgment("There is no cost to it.", aspect=COST) == 1
    assert judgment("It requires somewhat more resources.", aspect=COST) == 0  # a degree
    assert judgment("Fine-tuning needs labeled data.", aspect=COST) == 0


def test_a_judgment_turned_around_or_of_another_aspect_is_read_as_such():
    # Both are in knowledge/: read as "heavy" and "light", they made "is prompt engineering
    # expensive?" a disagreement between the sources, each side citing the other's sentence.
    assert judgment("Prompt engineering is less resource-intensive.", aspect=COST) == 1
    assert judgment("Fine-tuning is not as cheap.", aspect=COST) == -1
    flexible = "Instructions need to be easy to adjust; budget or computational power is a concern."
    assert judgment(flexible, aspect=COST) == 0


def test_a_conflict_needs_two_documents_judging_the_same_approach_both_ways():
    both = [(0, "a", "Fine-tuning is free.", "fine_tuning"),
            (1, "b", "Fine-tuning is expensive.", "fine_tuning")]  # fmt: skip
    conflict = find_conflict(both, approach="fine_tuning", aspect=COST)
    assert conflict is not None and conflict.light == (0,) and conflict.heavy == (1,)
    one_document = [(0, "a", "Fine-tuning is free.", "fine_tuning"),
                    (1, "a", "Fine-tuning is expensive.", "fine_tuning")]  # fmt: skip
    assert find_conflict(one_document, approach="fine_tuning", aspect=COST) is None
    other_subject = [(0, "a", "Prompting is free.", "prompt_engineering"),
                     (1, "b", "Fine-tuning is expensive.", "fine_tuning")]  # fmt: skip
    assert find_conflict(other_subject, approach="fine_tuning", aspect=COST) is None


@pytest.mark.slow
def test_a_planted_always_free_document_is_a_cited_disagreement_marked_low_trust(tmp_path):
    knowledge = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, knowledge)
    (knowledge / "pricing-update.md").write_text(PLANTED, encoding="utf-8")
    settings = Settings(knowledge_dir=knowledge, data_dir=tmp_path / "data", _env_file=None)
    run_ingest(settings)
    index = KnowledgeIndex(settings)
    try:
        answer = AnswerEngine(settings, index).answer("How much does fine-tuning cost?")
    finally:
        index.close()
    assert answer.disagreement and "disagree" in answer.text
    cited = {citation.doc: citation for citation in answer.citations}
    assert "pricing-update" in cited and len(cited) >= 2
    assert cited["pricing-update"].trust == "low"
    assert all(c.trust == "normal" for doc, c in cited.items() if doc != "pricing-update")
    assert answer.citations[0].doc != "pricing-update"  # the trusted side comes first
    numbered = [(c.n, c) for c in answer.citations]
    shown = block_texts(sources(numbered))
    planted_line = next(line for line in shown.splitlines() if "pricing update" in line)
    assert "(low trust)" in planted_line
