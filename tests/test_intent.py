"""Intent classification on phrasings of each kind (written for this test, not from the dev set)."""

import pytest

from bot.answering.intent import (
    classify,
    follow_up_intent,
    named_choices,
    weighs_a_point,
    without_format_request,
)
from bot.answering.models import Intent

CASES = {
    Intent.definition: [
        "What is prompt engineering?",
        "briefly, what's fine-tuning?",
        "Define fine tuning",
        "What does prompt engineering mean?",
        "Explain fine-tuning like I'm five",
    ],
    Intent.which: [
        "Which one needs less maintenance?",
        "Is fine-tuning or prompting better for consistency?",
        "What's cheaper up front?",
        "Prompt engineering or fine-tuning for a chatbot?",
        "Which one is less prone to forgetting?",  # a comparative outweighs the risk word
        "For a weekend hackathon, what would you use?",
        "finetuning vs prompting for a customer support bot?",  # versus, for a use: which one
        "What's the cheapest way to get started?",  # a superlative weighs them too
        "ok but which is more accurate?",
    ],
    Intent.cons: [
        "What can go wrong with fine-tuning, what are the risks?",
        "Any drawbacks to prompt engineering?",
        "What are the limitations of prompting?",
        "Weaknesses of fine-tuned models?",
        "Any reason not to fine-tune?",
        "When is fine-tuning a bad idea?",
        "What are common mistakes in prompt engineering?",
        "When should we not use prompt engineering?",  # where it does not fit
        "When shouldn't we fine-tune?",
        "When does prompting not work?",
    ],
    Intent.pros: [
        "What are the benefits of fine-tuning?",
        "Why would prompt engineering be an advantage?",
        "List the strengths of prompting",
        "Why pick prompting over fine-tuning?",
        "give me three reasons to fine-tune",
        "Why would anyone fine-tune when prompting is so cheap?",  # what speaks for it
        "What's the point of fine-tuning?",
        "Why bother with prompt engineering?",
    ],
    Intent.howto: [
        "How do we fine-tune a model?",
        "What phases does a prompt engineering process have?",
        "Walk me through the workflow of fine-tuning",
        "What are best practices for prompt engineering?",
    ],
    Intent.examples: [
        "Where does prompt engineering shine?",
        "What are typical use cases for fine-tuning?",
        "Give me applications of prompt engineering",
        "When should we use fine-tuning?",
        "When does fine-tuning make sense?",  # the situations it fits, not facts about it
        "when is prompt engineering the right call?",
        "In what situations is fine-tuning worth it?",
        "Under what circumstances should prompting be enough?",
        "What's fine-tuning good for?",  # not a definition
    ],
    Intent.comparison: [
        "Compare the two on cost and speed",
        "can you summarize the tradeoffs?",
        "prompting vs fine-tuning for speed?",  # for an aspect: side by side
        "Prompt engineering versus fine-tuning: how do they differ?",
    ],
    Intent.fact: [
        "How many examples do we need to fine-tune?",  # a quantity, not examples
        "How much data does fine-tuning need?",
        "Does prompt engineering change the model's weights?",
        "How long does fine-tuning take?",
        "What does fine-tuning cost in practice?",  # an idiom, no practices asked for
        "Why does fine-tuning need so much data?",  # a cause, not what speaks for it
        "How do I choose between prompt engineering and fine-tuning?",  # what decides, no winner
        "We're leaning towards fine-tuning. Bad idea?",  # advice on the plan, not its drawbacks
        "Would prompting be a good idea for us?",
    ],
}


@pytest.mark.parametrize(
    ("question", "intent"),
    [(question, intent) for intent, questions in CASES.items() for question in questions],
)
def test_each_kind_of_question_gets_its_intent(question, intent):
    assert classify(question) is intent


def test_a_question_stating_a_situation_is_one_whatever_else_it_asks():
    assert classify("What are the risks for us?", states_situation=True) is Intent.situation


def test_elliptical_follow_ups_keep_the_earlier_intent():
    assert follow_up_intent(Intent.fact, [Intent.cons]) is Intent.cons
    assert follow_up_intent(Intent.pros, [Intent.cons]) is Intent.pros
    assert follow_up_intent(Intent.fact, []) is Intent.fact


@pytest.mark.parametrize(
    ("question", "choices"),
    [
        ("Which laptop is faster for gaming?", ["laptop"]),
        ("Which cloud provider should we pick?", ["cloud provider"]),
        ("Which framework is easier to maintain, React or Vue?", ["framework", "React", "Vue"]),
        ("Which is cheaper over ten years: a lease or a mortgage?", ["lease", "mortgage"]),
        ("Which is better for us: prompting or fine-tuning?", ["prompting", "fine-tuning"]),
        # the approaches themselves, named by what they are or left implicit
        ("Which approach is cheaper?", []),
        ("Which of the two is cheaper?", []),
        ("Which one can we change the same afternoon?", []),
        ("Which handles domain-specific terminology better?", []),
        ("Bank with strict compliance rules, which way should we go?", []),
        # a condition, not options
        ("Which is best for us, given our data is messy or scarce?", []),
        # compared, or to recommend
        ("What's the difference between a latte and a cappuccino?", ["latte", "cappuccino"]),
        ("Can you recommend a good book on machine learning?", ["book"]),
        ("What's the difference between prompting and fine-tuning?", ["prompting", "fine-tuning"]),
        ("Can you recommend an approach?", []),
    ],
)
def test_a_which_question_names_what_it_chooses_among(question, choices):
    assert named_choices(question) == choices


@pytest.mark.parametrize(
    ("question", "weighs"),
    [
        ("Which is cheaper per call once we have heavy traffic?", True),
        ("We keep arguing: is prompting or fine-tuning more accurate?", True),
        ("For our bank, is fine-tuning or prompting cheaper to run at a million calls?", True),
        # "better" names no point; a team stating its case asks for advice
        ("We have 10k labeled examples. Is prompting or fine-tuning better?", False),
        ("Our team has no ML staff. Prompting or fine-tuning?", False),
    ],
)
def test_a_question_weighing_the_approaches_on_a_point_is_told_apart(question, weighs):
    assert weighs_a_point(question) is weighs


@pytest.mark.parametrize(
    ("asked", "question"),
    [
        ("in a few words, which is cheaper?", "which is cheaper?"),
        ("prompting vs fine-tuning in layman's terms?", "prompting vs fine-tuning?"),
        ("Fine-tuning in one sentence?", "Fine-tuning?"),
        ("tl;dr: should we fine-tune?", "should we fine-tune?"),
        ("quick question: which is faster?", "which is faster?"),
        ("which is better in terms of cost?", "which is better in terms of cost?"),
        ("in one sentence?", "in one sentence?"),  # nothing else asked: left as it is
    ],
)
def test_a_request_about_the_answer_s_form_is_not_part_of_the_question(asked, question):
    assert without_format_request(asked) == question
