"""Situations: a team's own description read into a partial intake, and advice from it.

The phrasings are written for this test (none is in the dev sets); no model is needed.
"""

import pytest

from bot.answering.advice import advise, asks_for_staging, prompting_fell_short
from bot.answering.situation import extract, is_situation
from bot.assessment.intake import IntakeAnswers
from bot.assessment.recommendation import Outcome


def stated(question: str) -> dict[str, str]:
    return {statement.field: statement.value for statement in extract(question)}


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        (
            "We're three engineers without any machine learning experience and need it live next week.",
            {"ml_expertise": "none", "timeline": "days"},
        ),
        (
            "Our hospital wants to summarize patient notes; we have tens of thousands of labeled "
            "notes and a strong ML team.",
            {"domain": "highly_specialized", "labeled_data": "thousands", "ml_expertise": "strong"},
        ),
        ("I run a tiny shop with no budget, what should I use?", {"budget": "low"}),
        (
            "Our rules change every week and we have no labeled examples.",
            {"change_frequency": "frequent", "labeled_data": "none"},
        ),
        (
            "We get millions of requests a day, the task is stable and we have a big budget.",
            {"volume": "high", "change_frequency": "rare", "budget": "high"},
        ),
        (
            "We don't handle sensitive data and a person checks every output.",
            {"sensitive_data": "false", "accuracy": "moderate"},
        ),
        (
            "Our bank's compliance team needs answers that are never wrong, errors are costly.",
            {"domain": "specialized", "accuracy": "critical", "sensitive_data": "true"},
        ),
        (
            "We have a few hundred examples and a couple of weeks before launch.",
            {"labeled_data": "hundreds", "timeline": "weeks"},
        ),
        # "no labeled data" denies labeled data only; the "no" is no answer of its own
        (
            "We're a healthcare startup, no labeled data, and we need HIPAA-compliant handling.",
            {"domain": "highly_specialized", "labeled_data": "none", "sensitive_data": "true"},
        ),
        (
            "We're a fintech and our fraud explanations must be precise.",
            {"domain": "specialized", "accuracy": "high"},
        ),
        # "daily" counts what is reviewed, not how often the requirements change
        (
            "Our legal team reviews contracts daily; we have 5 years of annotated contracts.",
            {"domain": "highly_specialized", "labeled_data": "thousands"},
        ),
        ("Is it worth fine-tuning for 100 requests a day?", {"volume": "low"}),
        # "a month" after requests is how many, not when
        ("Would fine-tuning pay off for 10 million requests a month?", {"volume": "high"}),
        ("We need to launch in a month.", {"timeline": "weeks"}),
        # data, said plainly, is what a team could train on; none of it is no sensitive data
        (
            "We have tons of data but no ML people.",
            {"labeled_data": "thousands", "ml_expertise": "none"},
        ),
        ("We don't have any data yet.", {"labeled_data": "none"}),
        # the negation is of the team's background, not of the FAQ bot after it
        (
            "We're a 3-person team with no ML background building an FAQ bot.",
            {"domain": "general", "ml_expertise": "none"},
        ),
        # a brand voice or a fixed format to keep; past replies are examples of it
        (
            "Our bot must keep our brand voice and we have 10k past support replies.",
            {"output_style": "strict", "labeled_data": "thousands"},
        ),
        ("Every answer has to be valid JSON in our exact schema.", {"output_style": "strict"}),
        # the use after "for" is not denied; "drafting" is a task, not drafts a person checks
        ("Our prompts are not good enough for legal drafting.", {"domain": "highly_specialized"}),
        # "for months" is how long, not how often things change ("monthly")
        (
            "We've been on this for months and our product names keep changing weekly.",
            {"change_frequency": "frequent"},
        ),
    ],
)
def test_what_a_team_states_becomes_intake_answers(question, expected):
    assert stated(question) == expected
    assert is_situation(question, extract(question))
    for field, value in expected.items():
        assert value in IntakeAnswers.question(field).values


@pytest.mark.parametrize(
    "question",
    [
        "We're not sure yet how much data we have. Should we start with prompting?",
        "We don't know our volume yet.",
        "Do I need a data scientist to do prompt engineering?",
        "We have been prompting GPT-4 for months and it still hallucinates product names.",
        "Is prompt engineering good enough here?",  # asks about it, states no accuracy
    ],
)
def test_what_is_unknown_denied_in_general_or_asked_about_states_nothing(question):
    assert stated(question) == {}


@pytest.mark.parametrize(
    "question",
    [
        "How consistent are the outputs of each approach?",
        "Does prompt engineering change the model's parameters?",
        "How much data does fine-tuning need?",
        "Which GPU should I buy for gaming?",
        "What's the weather in Paris tomorrow?",
        "What is prompt design?",
        "How much data do we need to fine-tune?",  # what it takes, not whether to
        "Do I need to fine-tune to get a specific output format?",
    ],
)
def test_questions_about_the_approaches_or_off_topic_are_no_situation(question):
    assert not is_situation(question, extract(question))


def test_whether_a_fine_tuning_is_overkill_for_a_use_it_states_is_a_situation():
    question = "Is fine-tuning overkill for an FAQ bot?"
    assert stated(question) == {"domain": "general"}
    assert is_situation(question, extract(question))


def test_names_of_the_approaches_state_nothing():
    assert stated("Is prompt engineering hard to learn for engineers?") == {}


def test_advice_from_what_was_stated_names_what_decided_it_and_what_is_open():
    advice = advise({"ml_expertise": "none", "timeline": "days", "domain": "general"})
    assert advice.outcome is Outcome.prompt_engineering
    assert {item.field for item in advice.deciding} <= {"ml_expertise", "timeline", "domain"}
    assert advice.deciding[0].weight.strength == 3

    ready = advise(
        {"domain": "highly_specialized", "labeled_data": "thousands", "ml_expertise": "strong"}
    )
    assert ready.outcome is Outcome.fine_tuning
    assert "change_frequency" in ready.open_fields  # frequent change would keep prompts in
    assert "domain" not in ready.open_fields


def test_a_team_not_ready_for_the_fine_tuning_its_task_needs_gets_the_staged_path():
    advice = advise(
        {"domain": "highly_specialized", "accuracy": "critical", "labeled_data": "none"}
    )
    assert advice.outcome is Outcome.hybrid


@pytest.mark.parametrize(
    ("question", "staged"),
    [
        ("Ship a quick version now and make it precise later: in what order?", True),
        ("Should we phase the two approaches?", True),
        ("First prompts, then a tuned model — does that work?", True),
        ("Can we fine-tune later if prompting doesn't work?", True),
        ("Is there a middle ground between the two?", True),
        ("Can we get the best of both worlds?", True),
        ("Which is cheaper per request?", False),
    ],
)
def test_a_question_asking_how_to_sequence_the_approaches_is_staging(question, staged):
    assert asks_for_staging(question) is staged
    if staged:
        assert advise({}, question=question).outcome is Outcome.hybrid


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        # one word between the words of a cue still states it
        ("Our clinic keeps a large labelled dataset.", {"labeled_data": "thousands"}),
        # a cue of one field inside a longer cue of another still counts
        (
            "We process patient records for a regional insurer.",
            {"domain": "highly_specialized", "sensitive_data": "true"},
        ),
    ],
)
def test_cues_match_across_an_inserted_word_and_across_fields(question, expected):
    assert expected.items() <= stated(question).items()


@pytest.mark.parametrize(
    "question",
    [
        "Which is cheaper to run at high volume?",
        "At ten thousand calls a day, which one costs less?",
        "Which handles strict regulations better?",
    ],
)
def test_a_question_weighing_the_approaches_on_a_point_is_no_situation(question):
    assert not is_situation(question, extract(question))


@pytest.mark.parametrize(
    "question",
    [
        "Is fine-tuning worth it for our five-person team?",
        "Should our agency go with prompt engineering?",
        "What approach would you recommend for our team?",
        "Is prompt engineering the right call for us?",
        "Do we even need fine-tuning?",
        "Is fine-tuning worthwhile for our team?",
        "Would fine-tuning pay off for us?",
    ],
)
def test_a_team_asking_for_advice_without_facts_is_a_situation(question):
    assert extract(question) == []
    assert is_situation(question, [])


@pytest.mark.parametrize(
    "question",
    [
        "Can we do both?",
        "Could we use them together?",
        "Prompts today, tuning once the data is in?",
    ],
)
def test_asking_to_use_both_is_staging(question):
    assert asks_for_staging(question)
    assert advise({}, question=question).outcome is Outcome.hybrid


@pytest.mark.parametrize(
    ("question", "fell_short"),
    [
        ("We tried prompting but accuracy is stuck at 80%. Next step?", True),
        ("Prompt engineering got us to 85% and then we hit a wall.", True),
        ("Our prompts are not good enough for legal drafting, should we fine-tune?", True),
        ("We've been prompting for months and it still hallucinates names.", True),
        ("We use prompting and it works great. Should we fine-tune?", False),
        ("We tried fine-tuning and it is stuck at 80%.", False),
        ("Should we try prompting first?", False),
    ],
)
def test_prompting_tried_and_falling_short_is_the_staged_path_past_its_first_stage(
    question, fell_short
):
    assert prompting_fell_short(question) is fell_short
    if fell_short:  # what would have been prompting is prompting, then fine-tuning
        advice = advise({"accuracy": "high", "labeled_data": "thousands"}, question=question)
        assert advice.outcome is Outcome.hybrid
    assert (
        advise(
            {"ml_expertise": "strong", "domain": "highly_specialized", "labeled_data": "thousands"},
            question=question,
        ).outcome
        is Outcome.fine_tuning
    )
