"""The assessment engine: outcomes, confidence, counterfactuals and next steps, over the real
weights and (for the full recommendation) the session's real index of knowledge/."""

import json
import re
from itertools import product
from pathlib import Path

import pytest

from bot.assessment import IntakeAnswers, InvalidAnswersError, Outcome, parse_answers, recommend
from bot.assessment.next_steps import load_plans
from bot.assessment.scoring import confidence, counterfactual, outcome_of, score
from bot.assessment.weights import Direction, load_weights
from tests.conftest import KNOWLEDGE_DIR, SHARED_DIR

DEV_INTAKE = SHARED_DIR / "eval" / "dev_intake.jsonl"
ASSESSMENT_DIR = Path(__file__).resolve().parents[1] / "bot" / "assessment"
FIELDS = (
    "domain",
    "labeled_data",
    "accuracy",
    "budget",
    "timeline",
    "ml_expertise",
    "volume",
    "change_frequency",
    "sensitive_data",
)
PE, FT, HYBRID = Outcome.prompt_engineering, Outcome.fine_tuning, Outcome.hybrid

# Scenarios nobody tuned the weights on: each expected outcome is argued from the sources
# (knowledge/ stems) before the engine was run. Columns: FIELDS, in order.
SCENARIOS = [
    # latitude: "In fields like medical diagnosis, where precision is critical, fine-tuning";
    # the team has the data, skills, budget and time.
    (
        "medical triage notes",
        "highly_specialized thousands critical high months strong medium rare true",
        FT,
    ),
    # comparison: fine-tuning for "legal document analysis"; weeks cover "days to weeks" of setup.
    (
        "legal clause classifier",
        "highly_specialized thousands critical medium weeks some high occasional true",
        FT,
    ),
    # latitude: rapid prototyping, content creation and limited resources suit prompt engineering.
    ("marketing copy drafts", "general none moderate low days none medium frequent false", PE),
    # latitude, "Prompt Engineering Examples": customer service chatbots, adjusted in real time.
    (
        "support chatbot, policies change weekly",
        "general hundreds high medium weeks some high frequent false",
        PE,
    ),
    # latitude: summarization is a general-purpose need.
    (
        "summaries of internal docs",
        "general none moderate medium weeks some low occasional false",
        PE,
    ),
    # the contradiction: critical and specialized, but nothing to fine-tune with.
    (
        "contradictory: clinic with nothing yet",
        "highly_specialized none critical low days none medium occasional true",
        HYBRID,
    ),
    (
        "contradictory: money but no data or team",
        "highly_specialized none critical high days none low rare true",
        HYBRID,
    ),
    # latitude, "Consistent Brand Voice" and "specialized, high-volume tasks" → fine-tuning.
    (
        "brand-voice product copy at scale",
        "specialized thousands high high months strong high rare false",
        FT,
    ),
    # latitude's content moderation example: fine-tune the common cases, prompts for new trends.
    (
        "content moderation, new trends weekly",
        "specialized thousands high high months strong high frequent false",
        HYBRID,
    ),
    # latitude, "Rapid Prototyping".
    ("startup prototype", "general none moderate low days some low frequent false", PE),
    # translation is general-purpose (latitude); data alone does not make fine-tuning needed.
    (
        "translation with a big corpus",
        "general thousands high medium weeks some medium occasional false",
        PE,
    ),
    # battle: sentiment analysis and text classification are fine-tuning's use cases.
    (
        "financial sentiment at scale",
        "specialized thousands high medium months strong high rare false",
        FT,
    ),
    # critical and specialized, strong team, but no labeled data yet: collect it first.
    (
        "radiology reports, no data yet",
        "highly_specialized none critical high months strong medium occasional true",
        HYBRID,
    ),
    # moderate accuracy, low volume, no ML skills: prompts are enough.
    (
        "niche software help desk",
        "specialized hundreds moderate low weeks none low occasional false",
        PE,
    ),
    (
        "insurance claims triage",
        "specialized thousands critical high months some high occasional true",
        FT,
    ),
    ("code review helper", "general hundreds high medium weeks strong medium frequent false", PE),
    # latitude: "Fine-tuning is ideal for specialized, high-volume tasks".
    (
        "specialized product descriptions at scale",
        "specialized thousands moderate medium weeks some high occasional false",
        FT,
    ),
    # regulations change often and data is thin: prompts now, fine-tune the stable core later.
    (
        "compliance Q&A",
        "highly_specialized hundreds critical medium months some low frequent true",
        HYBRID,
    ),
    ("HR policy FAQ", "general none high low days none low occasional true", PE),
    (
        "scientific literature extraction",
        "highly_specialized thousands high medium weeks some medium rare false",
        FT,
    ),
    # needs fine-tuning, has the data, but days and a low budget: staged.
    (
        "urgent specialized launch",
        "specialized thousands high low days some high rare false",
        HYBRID,
    ),
    # rejolut: prompt engineering for most use cases; resources do not create the need.
    (
        "rich team, general chatbot",
        "general thousands moderate high months strong medium occasional false",
        PE,
    ),
    # everything but the machine-learning skills fine-tuning "requires" (latitude, futurepoint).
    (
        "hospital with data, no ML team",
        "highly_specialized thousands critical high months none medium rare true",
        HYBRID,
    ),
    # hundreds is not the "large dataset" fine-tuning demands (latitude).
    (
        "specialized support, hundreds of examples",
        "specialized hundreds high medium weeks some high rare false",
        HYBRID,
    ),
    (
        "specialized, moderate, nothing in hand",
        "specialized none moderate low days none medium occasional false",
        PE,
    ),
    (
        "highly specialized but requirements churn",
        "highly_specialized thousands high high months strong medium frequent false",
        HYBRID,
    ),
    # futurepoint: exceptional accuracy → fine-tune; latitude: general-purpose → prompts: both.
    (
        "general domain, critical accuracy",
        "general thousands critical high months strong high rare true",
        HYBRID,
    ),
    # latitude's key takeaway: "Use fine-tuning for specialized, high-accuracy tasks".
    (
        "specialized high-accuracy, ready team",
        "specialized thousands high high months strong medium occasional false",
        FT,
    ),
]

CONTRADICTORY = {
    "use_case": "Draft discharge summaries for our clinic",
    "domain": "highly_specialized",
    "labeled_data": "none",
    "accuracy": "critical",
    "budget": "low",
    "timeline": "days",
    "ml_expertise": "none",
    "volume": "medium",
    "change_frequency": "occasional",
    "sensitive_data": True,
}


def answers_from(columns: str) -> IntakeAnswers:
    values = columns.split()
    return parse_answers(dict(zip(FIELDS, values, strict=True)))


def every_answer_set():
    questions = [question for question in IntakeAnswers.questions() if question.options]
    for values in product(*(question.values for question in questions)):
        yield IntakeAnswers.model_validate(
            dict(zip((question.field for question in questions), values, strict=True))
        )


@pytest.fixture(scope="module")
def weights():
    return load_weights()


@pytest.fixture(scope="module")
def every_outcome(weights) -> list[tuple[IntakeAnswers, Outcome]]:
    """Every answer set with its outcome, worked out once for the tests that go over them all."""
    return [(answers, outcome_of(answers, weights)) for answers in every_answer_set()]


@pytest.mark.parametrize(
    ("name", "columns", "expected"), SCENARIOS, ids=[scenario[0] for scenario in SCENARIOS]
)
def test_scenarios_argued_from_the_sources(weights, name, columns, expected):
    assert outcome_of(answers_from(columns), weights) is expected


def test_scenario_table_covers_every_outcome():
    assert {expected for _, _, expected in SCENARIOS} == set(Outcome)


def dev_cases():
    if not DEV_INTAKE.exists():
        return []
    return [json.loads(line) for line in DEV_INTAKE.read_text().splitlines() if line.strip()]


@pytest.mark.skipif(not DEV_INTAKE.exists(), reason="the shared dev scenarios are not here")
@pytest.mark.parametrize("case", dev_cases(), ids=lambda case: case["id"])
def test_dev_scenarios(weights, case):
    assert outcome_of(parse_answers(case["answers"]), weights) == case["expect"]


def test_more_fine_tuning_ward_answers_never_move_the_outcome_back(weights, every_outcome):
    """Monotone: moving any answer one option toward fine-tuning never turns fine-tuning into
    hybrid or hybrid into prompt engineering (over all 26,244 answer sets)."""
    rank = {PE: 0, HYBRID: 1, FT: 2}
    questions = [question for question in IntakeAnswers.questions() if question.options]

    def key(answers: IntakeAnswers) -> tuple[str, ...]:
        return tuple(answers.value_of(question.field) for question in questions)

    # Every answer set is a key here, so a moved answer's outcome is looked up, not recomputed.
    ranks = {key(answers): rank[outcome] for answers, outcome in every_outcome}
    assert len(ranks) == 26_244
    for chosen, before in ranks.items():
        for place, question in enumerate(questions):
            values = question.values
            position = values.index(chosen[place])
            for step in (-1, 1):
                if not 0 <= position + step < len(values):
                    continue
                moved = values[position + step]
                current = weights.weight(question.field, values[position]).signed
                if weights.weight(question.field, moved).signed <= current:
                    continue
                after = ranks[(*chosen[:place], moved, *chosen[place + 1 :])]
                assert after >= before, (chosen, question.field, moved)


def test_thresholds_leave_no_ties(weights):
    """Every strength is whole and every threshold lies between whole numbers."""
    rules = weights.decision
    for threshold in (
        rules.need_for_fine_tuning,
        rules.need_for_fine_tuning_alone,
        rules.readiness_for_fine_tuning,
        rules.mixed_needs,
    ):
        assert threshold % 1 == 0.5


def test_every_outcome_is_reachable_and_none_dominates(every_outcome):
    counts = {outcome: 0 for outcome in Outcome}
    for _, outcome in every_outcome:
        counts[outcome] += 1
    assert all(count > 0.04 * sum(counts.values()) for count in counts.values()), counts


def test_resources_enable_fine_tuning_but_never_create_the_need(every_outcome):
    """A general-purpose, moderate-accuracy task with no fixed voice or format stays prompt
    engineering whatever the team has."""
    for answers, outcome in every_outcome:
        plain = answers.domain == "general" and answers.accuracy == "moderate"
        if plain and answers.output_style == "open":
            assert outcome is PE, answers


def test_counterfactual_really_gives_another_outcome(weights, every_outcome):
    for answers, before in every_outcome[::97]:
        found = counterfactual(answers, weights)
        assert found is not None, answers
        changes, outcome = found
        assert 1 <= len(changes) <= 3
        changed = answers.with_values({change.field: change.suggested for change in changes})
        assert outcome_of(changed, weights) is outcome is not before
        assert all(answers.value_of(change.field) == change.current for change in changes)


def test_counterfactual_is_the_smallest_change(weights):
    """No single-answer change flips these answers, so the counterfactual changes two."""
    answers = answers_from("general none moderate low days some low frequent false")
    for question in IntakeAnswers.questions():
        for value in question.values:
            if question.options:
                assert outcome_of(answers.with_values({question.field: value}), weights) is PE
    changes, _ = counterfactual(answers, weights)
    assert len(changes) == 2


def test_counterfactual_prefers_what_the_team_can_change(weights):
    """Hundreds of examples → thousands (a resource) flips it, as does a fact of the task; the
    team can act on the first."""
    answers = answers_from("specialized hundreds high medium weeks some medium occasional false")
    changes, outcome = counterfactual(answers, weights)
    assert [(c.field, c.current, c.suggested) for c in changes] == [
        ("labeled_data", "hundreds", "thousands")
    ]
    assert outcome is FT


def test_confidence_is_lower_near_a_boundary(weights):
    clear = answers_from("general none moderate low days none low frequent false")
    borderline = answers_from(
        "specialized thousands high medium weeks some medium occasional false"
    )
    assert 0 <= confidence(borderline, weights) < confidence(clear, weights) <= 1


def test_contradictory_answers_get_a_staged_plan_that_collects_data(knowledge_index):
    recommendation = recommend(CONTRADICTORY, knowledge_index)
    assert recommendation.outcome is HYBRID
    assert recommendation.scores.need > 0 > recommendation.scores.readiness
    assert "staged" in recommendation.summary.lower()
    assert "prompt engineering" in recommendation.next_steps[0].lower()
    assert any(
        "collect" in step.lower() and "data" in step.lower() for step in recommendation.next_steps
    )
    assert 3 <= len(recommendation.next_steps) <= 5
    # A staged plan, not a coin flip: every one-step neighbour of these answers agrees.
    assert recommendation.confidence >= 0.9


def test_each_outcome_through_recommend(knowledge_index):
    for columns, expected in [
        ("general none moderate low days some low frequent false", PE),
        ("highly_specialized thousands critical high months strong high rare true", FT),
        ("specialized thousands high medium weeks some high frequent false", HYBRID),
    ]:
        recommendation = recommend(dict(zip(FIELDS, columns.split(), strict=True)), knowledge_index)
        assert recommendation.outcome is expected
        assert recommendation.factors and recommendation.citations
        assert 3 <= len(recommendation.next_steps) <= 5
        counter = recommendation.counterfactual
        assert counter is not None and counter.outcome is not expected
        assert counter.outcome.label in counter.summary


def test_factors_follow_the_weights_strongest_first(knowledge_index, weights):
    answers = answers_from("specialized thousands high medium weeks some high frequent false")
    recommendation = recommend(answers, knowledge_index)
    strengths = [factor.strength for factor in recommendation.factors]
    assert strengths == sorted(strengths, reverse=True)
    by_field = {factor.field: factor for factor in recommendation.factors}
    assert by_field["labeled_data"].direction is Direction.fine_tuning
    assert by_field["change_frequency"].direction is Direction.prompt_engineering
    # Neutral answers (medium budget, some expertise, no sensitive data) are not factors.
    assert not {"budget", "ml_expertise", "sensitive_data"} & set(by_field)
    for factor in recommendation.factors:
        assert factor.explanation == weights.weight(factor.field, factor.value).explanation


def test_fine_tuning_steps_are_the_three_phases(knowledge_index):
    recommendation = recommend(
        answers_from("highly_specialized thousands critical high months strong high rare true"),
        knowledge_index,
    )
    steps = " ".join(recommendation.next_steps).lower()
    positions = [
        steps.index(phase) for phase in ("prepare the data", "configure", "train and validate")
    ]
    assert positions == sorted(positions)


def test_prompt_engineering_steps_are_the_design_test_refine_loop(knowledge_index):
    recommendation = recommend(
        answers_from("general none moderate low days some low frequent false"), knowledge_index
    )
    firsts = [step.split(":")[0].lower() for step in recommendation.next_steps[:3]]
    assert firsts == ["design the prompt", "test and iterate", "optimize and refine"]


def test_every_plan_gives_three_to_five_steps(every_outcome):
    plans = load_plans()
    for answers, outcome in every_outcome:
        steps = plans[outcome].fitted(answers)
        assert 3 <= len(steps) <= 5, answers


def test_use_case_text_does_not_change_the_outcome(weights):
    answers = answers_from("specialized hundreds high medium weeks some medium occasional false")
    described = answers.with_values({"use_case": "Legal and medical, critical!"})
    assert score(described, weights) == score(answers, weights)


def test_invalid_answers_name_the_field_and_allowed_values():
    answers = dict(CONTRADICTORY, labeled_data="lots", accuracy=5, colour="blue")
    del answers["budget"]
    with pytest.raises(InvalidAnswersError) as raised:
        parse_answers(answers)
    problems = raised.value.problems
    assert problems == [
        "accuracy: got the number 5, expected one of the values; "
        "allowed values: moderate, high, critical",
        "labeled_data: 'lots' is not allowed; allowed values: none, hundreds, thousands",
        "budget: missing; allowed values: low, medium, high",
        "colour: unknown field; the fields are: use_case, domain, accuracy, output_style, volume, "
        "change_frequency, sensitive_data, labeled_data, budget, timeline, ml_expertise",
    ]


@pytest.mark.parametrize(
    ("value", "accepted"),
    [(True, True), ("false", True), ("yes", False), (1, False), (None, False)],
)
def test_sensitive_data_is_true_or_false(value, accepted):
    answers = dict(CONTRADICTORY, sensitive_data=value)
    if accepted:
        assert parse_answers(answers).sensitive_data is (value in (True, "true"))
    else:
        with pytest.raises(
            InvalidAnswersError, match=r"sensitive_data: .*allowed values: false, true"
        ):
            parse_answers(answers)


def test_use_case_is_optional_and_bounded():
    answers = dict(CONTRADICTORY)
    del answers["use_case"]
    assert parse_answers(answers).use_case is None
    with pytest.raises(
        InvalidAnswersError, match=r"use_case: 501 characters; allowed: text of at most 500"
    ):
        parse_answers(dict(CONTRADICTORY, use_case="x" * 501))


def test_questions_describe_every_field_for_the_front_ends():
    questions = IntakeAnswers.questions()
    assert [question.field for question in questions] == list(IntakeAnswers.model_fields)
    assert {question.step for question in questions} == {1, 2, 3}
    for question in questions:
        assert question.label and question.help and "\n" not in question.help
        if question.field == "use_case":
            assert question.optional and question.options == ()
            continue
        field = IntakeAnswers.model_fields[question.field]
        # the output style came later: answers saved before it mean "open"
        assert field.is_required() is not question.optional is (question.field == "output_style")
        assert question.default in question.values
        # Slack option texts hold at most 75 characters.
        assert all(len(label) <= 75 for _, label in question.options)
    assert IntakeAnswers.question("labeled_data").values == ("none", "hundreds", "thousands")
    assert IntakeAnswers.question("sensitive_data").values == ("false", "true")


def test_every_quotation_in_the_weights_is_in_the_knowledge_base():
    """The weights were reviewed against the sources: each comment's quotation is really there
    (an edit of knowledge/ that drops one means the weight needs a new review)."""

    def normal(text: str) -> str:
        text = text.replace("’", "'").replace("“", '"').replace("”", '"')
        return re.sub(r"\s+", " ", text).lower()

    corpus = normal(" ".join(path.read_text() for path in KNOWLEDGE_DIR.glob("*.md")))
    quoted = 0
    for name in ("weights.yaml", "next_steps.yaml"):
        lines = (ASSESSMENT_DIR / name).read_text(encoding="utf-8").splitlines()
        comments = " ".join(line.split("#", 1)[1] for line in lines if "#" in line)
        for quotation in re.findall(r'"([^"]{8,})"', re.sub(r"\s+", " ", comments)):
            for part in quotation.split("..."):
                assert normal(part.strip(" .")) in corpus, quotation
            quoted += 1
    assert quoted >= 30
