"""Which way a statement leans on the point asked, read from the knowledge model's claims.

Statements and labels written for this test, in the shape of the documents' table cells.
"""

import pytest

from bot.answering.scoring import question_terms
from bot.answering.stance import (
    asks_about_an_amount,
    asks_for_the_worse,
    aspect_family,
    facet_of,
    stance_of,
)
from bot.answering.text import FINE_TUNING, PROMPT_ENGINEERING


def lean(statement: str, question: str, *, subject: str, label: str = "") -> str | None:
    terms = question_terms(question)
    stance = stance_of(
        statement, aspect=aspect_family(terms), facet=facet_of(terms), subject=subject, label=label
    )
    return stance.favours if stance.on_aspect else None


def worse(question: str) -> bool:
    """Whether a which-question asks for the approach that does worse on its point."""
    terms = question_terms(question)
    return asks_for_the_worse(question, aspect=aspect_family(terms), facet=facet_of(terms))


def test_an_amount_in_a_cell_qualifies_the_rows_burden():
    question = "Which is cheaper to run at scale?"
    ongoing = lean("High upfront, lower ongoing", question, subject=FINE_TUNING, label="Cost")
    per_use = lean(
        "Low upfront, higher per use", question, subject=PROMPT_ENGINEERING, label="Cost"
    )
    assert ongoing == per_use == FINE_TUNING


def test_a_facet_asked_ignores_cues_on_the_other_side_of_the_aspect():
    running = "Which one costs less per request in production?"
    starting = "Which is cheaper to start with?"
    cell = "Low upfront, higher per use"
    assert lean(cell, running, subject=PROMPT_ENGINEERING, label="Cost") == FINE_TUNING
    assert lean(cell, starting, subject=PROMPT_ENGINEERING, label="Cost") == PROMPT_ENGINEERING


def test_a_manner_cue_is_not_an_amount_of_the_burden():
    question = "Which is easier to keep up to date?"
    assert lean(
        "Easily updated with refined prompts", question, subject=PROMPT_ENGINEERING,
        label="Maintenance",
    ) == PROMPT_ENGINEERING  # fmt: skip


def test_response_speed_is_its_own_facet_of_speed():
    question = "Which gives lower latency?"
    assert facet_of(question_terms(question)) is not None
    assert lean("Uses fewer tokens per call", question, subject=FINE_TUNING) == FINE_TUNING
    # deployment speed says nothing of how fast answers come back
    assert lean("Faster to deploy", question, subject=PROMPT_ENGINEERING) is None


def test_a_question_can_ask_which_does_worse():
    assert worse("Which is more expensive to begin with?")
    assert worse("Which one needs more training data?")
    assert worse("Which is slower to deploy?")
    assert not worse("Which is cheaper to begin with?")
    assert not worse("Which is less prone to overfitting?")


@pytest.mark.parametrize(
    "question",
    ["Which is better for sensitive data?", "Which gives faster turnaround time?",
     "Which is cheaper in compute costs?", "Which is easier on resources?",
     "Which one saves more time?", "Which saves the most compute?"],
)  # fmt: skip
def test_a_judgment_of_a_burden_or_a_saving_of_it_asks_for_the_better(question):
    assert not worse(question)


def test_a_denied_cue_is_turned_round():
    assert not worse("Which one does not need more training data?")
    assert not worse("Which approach doesn't take longer to deploy?")
    assert worse("Which one is not cheaper to start with?")
    needs_none = "It does not require more data or compute"
    assert lean(needs_none, "Which needs less data?", subject=PROMPT_ENGINEERING) == (
        PROMPT_ENGINEERING
    )


def test_an_amount_or_a_cut_of_a_burden_is_turned_round_and_a_judgment_is_not():
    assert worse("Which is worse on cost?")
    assert worse("Which needs more time?")
    assert not worse("Which reduces costs?")
    assert not worse("Which works with limited data?")


@pytest.mark.parametrize(
    ("question", "amount"),
    [("Does fine-tuning need more data than prompting?", True), ("Which needs less upkeep?", True),
     ("Which is more expensive?", True), ("Which is better for sensitive data?", False),
     ("Which is more accurate?", False), ("Which is faster?", False)],
)  # fmt: skip
def test_a_question_can_ask_how_much_of_a_burden_each_takes(question, amount):
    assert asks_about_an_amount(question) is amount


def test_an_amount_after_its_burden_or_a_rise_of_it_leans():
    question = "Which is more expensive?"
    assert lean("Fine-tuning costs more.", question, subject=FINE_TUNING) == PROMPT_ENGINEERING
    assert lean("It costs less over time.", question, subject=FINE_TUNING) == FINE_TUNING
    rise = "Retraining demands computing power, which increases expenses and time investment."
    assert lean(rise, question, subject=FINE_TUNING) == PROMPT_ENGINEERING
    better = "Fine-tuning increases the accuracy of the outputs."
    assert lean(better, "Which is more accurate?", subject=FINE_TUNING) == FINE_TUNING


def test_a_domain_asked_about_is_no_question_of_generalizing():
    """ "Better for a specialized domain like law?" is not answered by "fine-tuning lacks the
    generalizability of prompt engineering … across different domains"."""
    question = "Is fine-tuning better for a specialized domain like law?"
    lacks = "Fine-tuning lacks the generalizability of prompting across different domains."
    assert lean(lacks, question, subject=FINE_TUNING) is None
    assert lean(lacks, "Which generalizes better?", subject=FINE_TUNING) == PROMPT_ENGINEERING


def test_a_comparative_of_size_is_an_amount_of_data():
    assert worse("Which one needs a larger training set?")
    assert worse("Which of them depends on the biggest datasets?")
    assert not worse("Which gets by with smaller datasets?")
    needs_less = "Works with a smaller dataset than the alternative"
    question = "Which copes with the smallest amount of data?"
    assert lean(needs_less, question, subject=PROMPT_ENGINEERING) == PROMPT_ENGINEERING


def test_a_duration_is_its_own_burden():
    assert worse("Which takes longer to launch?")
    assert worse("Which needs a longer time to deploy?")
    assert not worse("Which has the shorter time to market?")
    assert not worse("Which takes the shortest time to ship?")
    slow = "Fine-tuning takes longer to deploy than prompt engineering."
    assert lean(slow, "Which is faster to deploy?", subject=FINE_TUNING) == PROMPT_ENGINEERING


def test_setting_up_is_the_deployment_facet_however_it_is_spelt():
    for question in ("Which is slower to set up?", "Which is slower to set-up?"):
        assert facet_of(question_terms(question)) == facet_of(question_terms("Slower setup?"))
    question = "Which is quicker to set up?"
    deploying = "Fine-tuning is slower to deploy."
    assert lean(deploying, question, subject=FINE_TUNING) == PROMPT_ENGINEERING
    responding = "Fine-tuned models respond faster."  # speed, but not of setting up
    assert lean(responding, question, subject=FINE_TUNING) is None


def test_rolling_out_is_the_deployment_facet_of_speed_not_response_time():
    for question in (
        "Which is quicker to launch for a pilot?",
        "Which lets us go live sooner?",
        "Which has the shorter time to market?",
    ):
        assert facet_of(question_terms(question)) is not None, question
        assert (
            lean("Immediate", question, subject=PROMPT_ENGINEERING, label="Deployment Time")
            == PROMPT_ENGINEERING
        ), question
        # how fast answers come back says nothing of how soon it ships
        assert (
            lean(
                "Optimized for faster inference",
                question,
                subject=FINE_TUNING,
                label="Response Speed",
            )
            is None
        ), question


def test_a_cue_qualifies_a_list_after_it_and_only_its_own_burden():
    # "more" reaches "expertise" past the list's "and": it is needed more, a burden
    needs = "It requires more time, resources, and expertise."
    assert lean(needs, "Which needs less expertise?", subject=FINE_TUNING) == PROMPT_ENGINEERING
    assert worse("Which requires more expertise?")
    assert not worse("Which needs less upkeep?")
    # "faster, cheaper": the burden "prone" belongs to "less" after them, not to them
    cheaper = "It is faster, cheaper, and less prone to overfitting."
    assert lean(cheaper, "Which costs less?", subject=PROMPT_ENGINEERING) == PROMPT_ENGINEERING
