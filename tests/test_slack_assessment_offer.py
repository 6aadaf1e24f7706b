"""A situation's answer offers the full assessment: its button opens `/ai-strategy` prefilled.

End to end over signed HTTP against the Slack emulator: the answer engine is faked at the
boundary (it returns a situation answer carrying the intake its question stated); the
recommendation is the real one over the session's index.
"""

import json

import pytest

from bot.answering.engine import AnswerEngine
from bot.assessment import IntakeAnswers, recommend
from bot.assessment.intake import partial_answers
from bot.slack import messages
from bot.slack.blocks import (
    ASSESSMENT_ACTION,
    ASSESSMENT_BLOCK,
    BUTTON_VALUE,
    FEEDBACK_ACTION,
    answer_messages,
    prefill_value,
)
from bot.slack.engines import Engines
from bot.slack.modal import questions_of, read_prefill
from tests.slack_helpers import ALICE, GENERAL, block_texts, cited_answer, start_harness

QUESTION = (
    "We're a law firm with strict regulations, years of annotated contracts and ML staff. "
    "Prompting or fine-tuning?"
)
# What the question stated, one field in each step of the modal.
STATED = {
    "use_case": "Review contracts for risky clauses.",
    "domain": "highly_specialized",
    "sensitive_data": "true",
    "labeled_data": "thousands",
    "ml_expertise": "strong",
}


def situation_answer(question: str, history=(), *, intake=STATED):
    return cited_answer(question, "Fine-tuning fits your situation [1].").model_copy(
        update={"intake": dict(intake)}
    )


@pytest.fixture
def harness(indexed_settings, knowledge_index, tmp_path):
    engines = Engines(
        answer=situation_answer,
        recommend=lambda answers: recommend(answers, knowledge_index),
        reindex=lambda: None,
    )
    started = start_harness(indexed_settings, engines, data_dir=tmp_path / "slack")
    yield started
    started.close()


def shown(view: dict) -> dict[str, str | None]:
    """What each input of a modal shows before anyone touches it."""
    values = {}
    for block in view["blocks"]:
        if block["type"] == "input":
            element = block["element"]
            option = element.get("initial_option")
            values[block["block_id"]] = option["value"] if option else element.get("initial_value")
    return values


def test_the_button_opens_the_assessment_prefilled_and_ends_in_that_recommendation(
    harness, knowledge_index
):
    slack = harness.slack
    said = slack.user_says(ALICE, GENERAL, f"@ai-strategy {QUESTION}")
    post = slack.calls.wait("chat.postMessage", where=lambda c: c.ok)[0]
    assert post.args["thread_ts"] == said.ts
    actions = [b for b in post.args["blocks"] if b["type"] in ("actions", "context_actions")]
    assert actions[0]["block_id"] == ASSESSMENT_BLOCK  # above the feedback
    assert FEEDBACK_ACTION in json.dumps(actions[-1])
    assert messages.ASSESSMENT_BUTTON in block_texts(actions)

    clicked = slack.click(ALICE, GENERAL, post.response["ts"], ASSESSMENT_ACTION)
    assert clicked.status == 200 and clicked.seconds < 3
    opened = slack.calls.wait("views.open")[0]
    assert opened.ok  # the click's trigger, used within its 3 seconds
    (view,) = slack.open_views(ALICE)
    defaults = {q.field: q.default for q in IntakeAnswers.questions()}
    assert shown(view) == {q.field: STATED.get(q.field, defaults[q.field]) for q in questions_of(1)}
    intro = block_texts([b for b in view["blocks"] if b["type"] == "context"])
    assert all(IntakeAnswers.question(field).label in intro for field in STATED)

    # Each step shows what the question stated; submitted untouched, as a person would.
    for step in (1, 2, 3):
        (*_, top) = slack.open_views(ALICE)
        assert shown(top) == {
            q.field: STATED.get(q.field, defaults[q.field]) for q in questions_of(step)
        }
        assert slack.submit_view(ALICE, {}).status == 200
    assert slack.open_views(ALICE) == []

    dm = slack.calls.wait("chat.postMessage", count=2, where=lambda c: c.ok)[1]
    assert dm.args["channel"] == ALICE
    expected = recommend(IntakeAnswers.model_validate(defaults | STATED), knowledge_index)
    assert (
        dm.args["metadata"]["event_payload"]["recommendation"]
        == (expected.report()["recommendation"])
    )


def test_the_real_engines_situation_answer_opens_the_modal_with_what_it_extracted(
    indexed_settings, knowledge_index, tmp_path
):
    engine = AnswerEngine(indexed_settings, knowledge_index)
    question = (
        "Small agency, two devs, no data science background, tight deadline for a client "
        "FAQ bot. What do you recommend?"
    )
    extracted = engine.answer(question).intake
    assert extracted.get("ml_expertise") == "none"  # what the question says, as an option value
    engines = Engines(
        answer=engine.answer,
        recommend=lambda answers: recommend(answers, knowledge_index),
        reindex=lambda: None,
    )
    harness = start_harness(indexed_settings, engines, data_dir=tmp_path / "real")
    try:
        slack = harness.slack
        slack.user_says(ALICE, GENERAL, f"@ai-strategy {question}")
        post = slack.calls.wait("chat.postMessage", where=lambda c: c.ok)[0]
        slack.click(ALICE, GENERAL, post.response["ts"], ASSESSMENT_ACTION)
        assert slack.calls.wait("views.open")[0].ok
        (view,) = slack.open_views(ALICE)
        for field, value in shown(view).items():
            assert value == extracted.get(field, IntakeAnswers.question(field).default)
        metadata = json.loads(view["private_metadata"])
        assert metadata["answers"] == extracted and metadata["channel"] == GENERAL
    finally:
        harness.close()


def test_an_ephemeral_answer_to_the_command_offers_it_too(harness):
    slack = harness.slack
    slack.run_command(ALICE, GENERAL, QUESTION)
    slack.calls.wait("response_url")
    (shown_to_alice,) = [m for m in slack.ephemeral_for(ALICE) if m.get("blocks")]
    slack.click(ALICE, GENERAL, shown_to_alice["ts"], ASSESSMENT_ACTION)
    assert slack.calls.wait("views.open")[0].ok
    (view,) = slack.open_views(ALICE)
    assert shown(view)["domain"] == "highly_specialized"


def test_an_answer_without_a_situation_has_no_offer():
    (message,) = answer_messages(cited_answer("What is fine-tuning?"), answer_id="a1")
    assert ASSESSMENT_ACTION not in json.dumps(message.blocks)


def test_the_button_value_keeps_only_valid_answers_within_slacks_limit():
    hostile = {
        "domain": "highly_specialized",
        "budget": "unlimited",  # not an option
        "timeline": ["days"],  # not a string
        "sensitive_data": True,  # a boolean, as an engine may give it
        "favourite_colour": "blue",  # not a field
        "use_case": '"\x01' * 300,  # 8 characters of JSON for every 2 of text
    }
    value = prefill_value(hostile)
    assert len(value) <= BUTTON_VALUE
    carried = read_prefill(value)
    assert set(carried) == {"domain", "sensitive_data", "use_case"}
    assert carried["sensitive_data"] == "true" and carried["use_case"].startswith('"\x01')
    assert carried == partial_answers(carried)  # what comes back is valid as it stands


@pytest.mark.parametrize(
    "value", ["", "not json", "[1, 2]", '{"domain": {"$gt": ""}}', "[" * 100_000]
)
def test_a_tampered_button_value_prefills_nothing_and_never_fails(value):
    assert read_prefill(value) == {}


def test_the_prefilled_modal_stays_within_slacks_limits():
    """The longest use case a question can give still fits the button and private_metadata."""
    from bot.slack.modal import step_view
    from slack_emulator.validation import check_blocks, check_view

    longest = STATED | {"use_case": 'é"\n' * 500}
    (message,) = answer_messages(situation_answer(QUESTION, intake=longest), answer_id="a1")
    assert check_blocks(message.blocks) == []
    answers = read_prefill(prefill_value(longest))
    view = step_view(1, answers=answers, channel=GENERAL, prefilled=True)
    assert check_view(view) == [] and len(view["private_metadata"]) <= 3000
