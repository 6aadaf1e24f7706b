"""Markdown → mrkdwn, Block Kit within Slack's limits, and the modal built from the intake model.

Every rendered message and view is checked with the emulator's validation, which applies
Slack's limits independently of the renderer's own constants.
"""

import json
import random

import pytest

from bot.answering.models import Answer, Citation, ComparisonRow
from bot.assessment import IntakeAnswers
from bot.assessment.intake import USE_CASE_MAX_CHARS
from bot.slack.blocks import answer_messages, context, text_message
from bot.slack.modal import (
    LAST_STEP,
    completed_answers,
    questions_of,
    read_metadata,
    read_step,
    step_errors,
    step_view,
)
from bot.slack.mrkdwn import from_slack, split_mrkdwn, to_mrkdwn
from slack_emulator import check_view, message_error


@pytest.mark.parametrize(
    ("markdown", "mrkdwn"),
    [
        ("Fine-tuning needs **labeled data** [1].", "Fine-tuning needs *labeled data* [1]."),
        ("an *aside* and ~~old~~ text", "an _aside_ and ~old~ text"),
        (
            "see [the guide](https://example.com/a?b=1&c=2)",
            "see <https://example.com/a?b=1&c=2|the guide>",
        ),
        ("<https://example.com>", "<https://example.com>"),
        ("## Costs\nPrompts are cheap.", "*Costs*\n\nPrompts are cheap."),
        ("- one [1]\n- two\n  - nested", "• one [1]\n• two\n    ◦ nested"),
        ("1. first\n2. second", "1. first\n2. second"),
        ("use `a < b` here", "use `a &lt; b` here"),
        ("```python\nif a < b:\n    pass\n```", "```\nif a &lt; b:\n    pass\n```"),
        ("tell <!channel> & <@U123>", "tell &lt;!channel&gt; &amp; &lt;@U123&gt;"),
        ("a line\nwrapped", "a line wrapped"),
        ("> quoted **text**", "> quoted *text*"),
        ("| a | b |\n|---|---|\n| 1 | 2 |", "*a* | *b*\n1 | 2"),
        ("[a|b](https://x.org/p|q)", "<https://x.org/p%7Cq|a¦b>"),
    ],
)
def test_markdown_becomes_slack_mrkdwn(markdown, mrkdwn):
    assert to_mrkdwn(markdown) == mrkdwn


def test_split_pieces_fit_and_never_cut_a_link_or_leave_a_code_block_open():
    rng = random.Random(7)
    words = [
        "word",
        "*bold*",
        "<https://example.com/a-long-path|a link label>",
        "end.",
        "\n",
        "\n\n",
    ]
    text = " ".join(rng.choice(words) for _ in range(6000))
    text += "\n\n```\n" + "code line\n" * 800 + "```"
    pieces = split_mrkdwn(text, 3000)
    assert len(pieces) > 5
    for piece in pieces:
        assert len(piece) <= 3000
        assert piece.count("<") == piece.count(">")
        assert piece.count("```") % 2 == 0
    assert "".join(pieces).replace("```\n", "").count("code line") == 800


def test_slack_text_becomes_a_plain_question():
    text = "<@U0BOT> how does <@U1|bob> in <#C1|general> compare <https://a.io|this> &amp; that?"
    assert (
        from_slack(text, bot_user_id="U0BOT")
        == "how does @bob in #general compare this (https://a.io) & that?"
    )


def test_invisible_characters_are_dropped_from_a_question():
    assert from_slack("fine\u200btun\x00ing \u202eor\u202c\ufeff prompting?") == (
        "finetuning or prompting?"
    )
    assert from_slack("<@U0BOT> \u200b\u2060\x07", bot_user_id="U0BOT") == ""
    assert from_slack("line one\nline two") == "line one\nline two"


def citation(n: int, *, url: bool = True) -> Citation:
    return Citation(
        n=n,
        doc=f"doc-{n}",
        title=f"A <title> | {n}",
        section="Part > Sub",
        url=f"https://example.com/{n}" if url else None,
        text="passage",
    )


def assert_slack_accepts(pieces) -> None:
    for piece in pieces:
        assert message_error(piece.text, piece.blocks) is None
        assert all(len(b["elements"]) <= 10 for b in piece.blocks if b["type"] == "context")


def test_a_huge_answer_is_split_into_messages_slack_accepts():
    text = ("**Point** with [a link](https://example.com/x) and detail [1]. " * 40 + "\n\n") * 40
    answer = Answer(
        question="q",
        text=text,
        citations=[citation(n, url=n % 2 == 0) for n in range(1, 31)],
        grounded=True,
        note="The language model was unavailable; showing the extractive answer.",
    )

    pieces = answer_messages(answer, answer_id="a" * 32)

    assert len(pieces) > 3
    assert_slack_accepts(pieces)
    assert all(b["type"] != "context_actions" for piece in pieces[:-1] for b in piece.blocks)
    last = pieces[-1].blocks
    assert last[-1]["type"] == "context_actions"
    sources = json.dumps([b for b in last if b["type"] == "context"], ensure_ascii=False)
    assert "<https://example.com/2|A &lt;title&gt; ¦ 2 › Part › Sub>" in sources
    assert "[1] A &lt;title&gt; ¦ 1 › Part › Sub" in sources
    assert "_The language model was unavailable" in sources


def test_a_comparison_is_shown_side_by_side_instead_of_its_list_rendering():
    rows = [
        ComparisonRow(
            aspect=f"Aspect {i}",
            prompt_engineering="cheap, see [docs](https://example.com/d) " * 100,
            fine_tuning="costly [1]",
            citations=[1, 2],
        )
        for i in range(12)
    ]
    text = "\n".join(f"- **{r.aspect}**: prompt engineering — x; fine-tuning — y." for r in rows)
    answer = Answer(
        question="q",
        text=text,
        citations=[citation(1), citation(2)],
        grounded=True,
        comparison=rows,
    )

    pieces = answer_messages(answer, answer_id="x")

    assert_slack_accepts(pieces)
    blocks = [block for piece in pieces for block in piece.blocks]
    row_blocks = [block for block in blocks if block.get("fields")]
    assert [b["text"]["text"] for b in row_blocks] == [f"*Aspect {i}* [1][2]" for i in range(12)]
    assert all(b["fields"][0]["text"].endswith("…") for b in row_blocks)
    assert "prompt engineering — x" not in json.dumps(blocks)


def test_context_packs_many_lines_into_ten_elements():
    blocks = context([f"line {i}" for i in range(35)])
    assert len(blocks) == 1 and len(blocks[0]["elements"]) <= 10
    assert "line 34" in blocks[0]["elements"][-1]["text"]


def test_a_decline_has_no_sources_but_can_be_rated():
    decline = Answer(
        question="q", text="I can't answer that from the knowledge base.", grounded=False
    )
    (piece,) = answer_messages(decline, answer_id="x")
    assert [b["type"] for b in piece.blocks] == ["section", "context_actions"]
    assert message_error(**text_message("hello").as_arguments()) is None


# -- the modal -----------------------------------------------------------------------------


def test_each_step_is_a_valid_view_built_from_the_intake_model():
    fields = []
    for step in range(1, LAST_STEP + 1):
        view = step_view(step, answers={}, channel="C1")
        assert check_view(view) == []
        inputs = [block for block in view["blocks"] if block["type"] == "input"]
        assert [b["block_id"] for b in inputs] == [q.field for q in questions_of(step)]
        for block, question in zip(inputs, questions_of(step), strict=True):
            assert block["optional"] == question.optional
            if question.options:
                values = [o["value"] for o in block["element"]["options"]]
                assert values == list(question.values)
                if question.default:
                    assert block["element"]["initial_option"]["value"] == question.default
        fields += [b["block_id"] for b in inputs]
    assert sorted(fields) == sorted(IntakeAnswers.model_fields)


def test_private_metadata_stays_under_slacks_limit_with_the_longest_use_case():
    answers = {
        q.field: q.values[0] if q.options else "🚀" * USE_CASE_MAX_CHARS
        for q in IntakeAnswers.questions()
    }
    view = step_view(LAST_STEP, answers=answers, channel="C0123456789")
    assert len(view["private_metadata"]) <= 3000 and check_view(view) == []
    assert read_metadata(view) == (LAST_STEP, "C0123456789", answers)


def submitted(view: dict, values: dict) -> dict:
    """`view` as Slack sends it back with these values entered."""
    state = {}
    for block in view["blocks"]:
        if block["type"] == "input":
            value = values.get(block["block_id"])
            if block["element"]["type"] == "static_select":
                option = (
                    {"text": {"type": "plain_text", "text": "x"}, "value": value} if value else None
                )
                state[block["block_id"]] = {
                    "answer": {"type": "static_select", "selected_option": option}
                }
            else:
                state[block["block_id"]] = {"answer": {"type": "plain_text_input", "value": value}}
    return view | {"state": {"values": state}}


def test_step_values_are_read_and_checked_by_field():
    view = step_view(1, answers={}, channel="C1")
    values = {q.field: (q.values[-1] if q.options else None) for q in questions_of(1)}
    read = read_step(submitted(view, values), 1)
    assert read == values
    assert step_errors(read, 1) == {}
    assert set(step_errors(read | {"use_case": "x" * (USE_CASE_MAX_CHARS + 1)}, 1)) == {"use_case"}
    a_select = next(q for q in questions_of(1) if q.options)
    assert set(step_errors(read | {a_select.field: "not-an-option"}, 1)) == {a_select.field}


def test_all_steps_answered_give_the_intake():
    answers = {
        q.field: q.values[0] if q.options else "Summarize contracts."
        for q in IntakeAnswers.questions()
    }
    assert completed_answers(answers) == IntakeAnswers.model_validate(answers)
