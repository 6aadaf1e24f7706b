"""Block Kit renderings of the engines' results, within Slack's limits.

An answer becomes one or more messages: its text in mrkdwn sections (each under 3000
characters), the comparison table, notes, then a "Sources" context and feedback on the last
one: Slack's `feedback_buttons` element in a `context_actions` block, or classic 👍/👎 buttons
where a workspace does not take that block. A long answer is split into several messages
(at most `MESSAGE_BLOCKS` blocks and `MESSAGE_TEXT_BUDGET` characters each) rather than
rejected by Slack with `msg_too_long`, `msg_blocks_too_long` or `invalid_blocks`.

Blocks are built with slack_sdk's Block Kit models, whose validation (on `to_dict()`) guards
the per-block limits: a renderer that overflowed one would fail here, not in Slack.
"""

import json
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextActionsBlock,
    ContextBlock,
    DividerBlock,
    FeedbackButtonObject,
    FeedbackButtonsElement,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from bot.answering.models import Answer
from bot.assessment import messages as assessment_messages
from bot.assessment.intake import partial_answers
from bot.assessment.recommendation import Recommendation
from bot.slack import messages
from bot.slack.channel_settings import is_direct_message
from bot.slack.mrkdwn import escape, link_target, shorten, split_mrkdwn, to_mrkdwn

# Slack's limits, with some headroom where the exact count is undocumented.
SECTION_TEXT = 3000
SECTION_FIELD_TEXT = 2000
HEADER_TEXT = 150
CONTEXT_ELEMENTS = 10
CONTEXT_ELEMENT_TEXT = 2000
MESSAGE_BLOCKS = 50
MESSAGE_TEXT_BUDGET = 12_000  # Slack answers msg_blocks_too_long from about 13,000
FALLBACK_TEXT = 3000

FEEDBACK_BLOCK = "feedback"
# The feedback_buttons element: one action, its value `up:<answer id>` or `down:<answer id>`.
FEEDBACK_ACTION = "feedback"
# The classic buttons: one action each, the value is the answer id.
FEEDBACK_UP = "feedback_up"
FEEDBACK_DOWN = "feedback_down"
SHARE_BLOCK = "share"
ASSESSMENT_BLOCK = "assessment"
ASSESSMENT_ACTION = "open_assessment"
BUTTON_VALUE = 2000
SHARE_ACTION = "share_recommendation"
RECOMMENDATION_EVENT = "ai_strategy_recommendation"


@dataclass
class SlackMessage:
    """What one `chat.postMessage` (or `respond`) sends: fallback text, blocks, metadata."""

    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)
    metadata: dict[str, Any] | None = None

    def as_arguments(self) -> dict[str, Any]:
        arguments: dict[str, Any] = {"text": self.text, "blocks": self.blocks}
        if self.metadata is not None:
            arguments["metadata"] = self.metadata
        return arguments


def truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def compact_json(data: dict[str, Any]) -> str:
    """JSON without spaces, as `private_metadata` and button values carry it."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def mrkdwn(text: str) -> MarkdownTextObject:
    return MarkdownTextObject(text=text)


def plain(text: str) -> dict[str, Any]:
    return PlainTextObject(text=text, emoji=True).to_dict()


def _dict(block: Block) -> dict[str, Any]:
    """The JSON Slack takes (the SDK checks the block's limits on the way)."""
    return block.to_dict()


def section(text: str) -> dict[str, Any]:
    return _dict(SectionBlock(text=mrkdwn(truncate(text, SECTION_TEXT))))


def sections(text: str) -> list[dict[str, Any]]:
    """mrkdwn of any length as consecutive sections."""
    return [section(piece) for piece in split_mrkdwn(text, SECTION_TEXT)]


def header(text: str) -> dict[str, Any]:
    return _dict(HeaderBlock(text=PlainTextObject(text=truncate(text, HEADER_TEXT), emoji=True)))


def divider() -> dict[str, Any]:
    return _dict(DividerBlock())


def context(lines: list[str]) -> list[dict[str, Any]]:
    """Context blocks for the given lines: at most 10 elements per block, lines packed together."""
    elements: list[str] = []
    for line in lines:
        line = truncate(line, CONTEXT_ELEMENT_TEXT)
        if (
            elements
            and len(elements[-1]) + 1 + len(line) <= CONTEXT_ELEMENT_TEXT
            and len(lines) > CONTEXT_ELEMENTS
        ):
            elements[-1] += "\n" + line
        else:
            elements.append(line)
    return [
        _dict(ContextBlock(elements=[mrkdwn(text) for text in elements[i : i + CONTEXT_ELEMENTS]]))
        for i in range(0, len(elements), CONTEXT_ELEMENTS)
    ]


def button(text: str, action_id: str, value: str, *, style: str | None = None) -> ButtonElement:
    return ButtonElement(
        text=PlainTextObject(text=text, emoji=True), action_id=action_id, value=value, style=style
    )


def actions(block_id: str, *buttons: ButtonElement) -> dict[str, Any]:
    return _dict(ActionsBlock(block_id=block_id, elements=list(buttons)))


def _block_text(block: dict[str, Any]) -> int:
    """Characters of text a block carries (what counts toward a message's size)."""
    total = len(block["text"].get("text", "")) if isinstance(block.get("text"), dict) else 0
    for element in block.get("elements", []) + block.get("fields", []):
        if isinstance(element.get("text"), str):
            total += len(element["text"])
        elif isinstance(element.get("text"), dict):
            total += len(element["text"].get("text", ""))
    return total


def pack(
    body: list[dict[str, Any]], tail: list[dict[str, Any]], fallback: str
) -> list[SlackMessage]:
    """Blocks into as few messages as Slack's limits allow; `tail` stays together at the end."""
    budget_blocks = MESSAGE_BLOCKS - len(tail)
    budget_text = MESSAGE_TEXT_BUDGET - sum(_block_text(block) for block in tail)
    groups: list[list[dict[str, Any]]] = [[]]
    size = 0
    for block in body:
        cost = _block_text(block)
        if groups[-1] and (len(groups[-1]) >= budget_blocks or size + cost > budget_text):
            groups.append([])
            size = 0
        groups[-1].append(block)
        size += cost
    groups[-1].extend(tail)
    result = []
    for number, blocks in enumerate(groups):
        text = fallback if number == 0 else f"{messages.CONTINUED} {fallback}"
        result.append(SlackMessage(text=truncate(text, FALLBACK_TEXT), blocks=blocks))
    return result


def _citation_title(citation) -> str:
    """`Title › Section › Subsection` (the index writes section paths with " > ")."""
    parts = [
        citation.title,
        *(part.strip() for part in citation.section.split(" > ") if part.strip()),
    ]
    return escape(" › ".join(parts)).replace("|", "¦")


def sources(numbered: list[tuple[int, Any]]) -> list[dict[str, Any]]:
    """The "Sources" context: `[n] title › section`, linked when the document has a url."""
    if not numbered:
        return []
    lines = [messages.SOURCES_HEADING]
    lines += [
        messages.source_line(n, _citation_title(c), link_target(c.url), low_trust=c.trust == "low")
        for n, c in sorted(numbered, key=lambda p: p[0])
    ]
    return context(lines)


def feedback_block(answer_id: str, *, native: bool = True) -> dict[str, Any]:
    """👍/👎 under an answer: Slack's feedback_buttons element (`native`), or classic buttons."""
    if not native:
        return actions(
            FEEDBACK_BLOCK,
            button(messages.FEEDBACK_UP_TEXT, FEEDBACK_UP, answer_id),
            button(messages.FEEDBACK_DOWN_TEXT, FEEDBACK_DOWN, answer_id),
        )
    feedback = FeedbackButtonsElement(
        action_id=FEEDBACK_ACTION,
        positive_button=FeedbackButtonObject(
            text=messages.FEEDBACK_UP_TEXT,
            accessibility_label=messages.FEEDBACK_UP_LABEL,
            value=f"up:{answer_id}",
        ),
        negative_button=FeedbackButtonObject(
            text=messages.FEEDBACK_DOWN_TEXT,
            accessibility_label=messages.FEEDBACK_DOWN_LABEL,
            value=f"down:{answer_id}",
        ),
    )
    return _dict(ContextActionsBlock(block_id=FEEDBACK_BLOCK, elements=[feedback]))


def has_native_feedback(blocks: list[dict[str, Any]]) -> bool:
    return any(block.get("type") == "context_actions" for block in blocks)


def prefill_value(intake: dict[str, Any]) -> str:
    """Intake answers as a button value: compact JSON of at most 2000 characters, the valid
    answers only (a long use case is shortened to fit: escaping can lengthen its JSON)."""
    answers = partial_answers(intake)
    value = compact_json(answers)
    while len(value) > BUTTON_VALUE and "use_case" in answers:
        keep = len(answers["use_case"]) - (len(value) - BUTTON_VALUE) - 1
        if keep < 1:
            del answers["use_case"]
        else:
            answers["use_case"] = truncate(answers["use_case"], keep)
        value = compact_json(answers)
    return value


def assessment_offer(intake: dict[str, Any]) -> dict[str, Any]:
    """The button that opens the `/ai-strategy` modal prefilled with the answers in `intake`."""
    value = prefill_value(intake)
    return actions(
        ASSESSMENT_BLOCK,
        button(messages.ASSESSMENT_BUTTON, ASSESSMENT_ACTION, value, style="primary"),
    )


def _comparison(answer: Answer) -> list[dict[str, Any]]:
    """The rows side by side: the aspect with its markers, then one field per approach."""
    left, right = messages.COMPARISON_COLUMNS
    blocks = [section(messages.COMPARISON_HEADING)]
    for row in answer.comparison:
        markers = "".join(f"[{n}]" for n in row.citations)
        aspect = truncate(f"*{escape(row.aspect)}* {markers}".strip(), SECTION_TEXT)
        cells = [
            shorten(f"{left}\n{to_mrkdwn(row.prompt_engineering)}", SECTION_FIELD_TEXT),
            shorten(f"{right}\n{to_mrkdwn(row.fine_tuning)}", SECTION_FIELD_TEXT),
        ]
        blocks.append(_dict(SectionBlock(text=mrkdwn(aspect), fields=[mrkdwn(c) for c in cells])))
    return blocks


def answer_messages(
    answer: Answer, *, answer_id: str | None = None, native_feedback: bool = True
) -> list[SlackMessage]:
    """An answer as Slack messages: text (or comparison), note, sources, the offer of the full
    assessment (for a team's situation) and feedback buttons (see `feedback_block`).

    A comparison's text is the list rendering of its rows; Slack shows the rows side by side
    instead.
    """
    text = to_mrkdwn(answer.text) or messages.EMPTY_ANSWER
    body = _comparison(answer) if answer.comparison else sections(text)
    if answer.note:
        body += context(["_" + escape(answer.note) + "_"])
    tail = sources([(citation.n, citation) for citation in answer.citations])
    if answer.intake:
        tail.append(assessment_offer(answer.intake))
    if answer_id is not None:
        tail.append(feedback_block(answer_id, native=native_feedback))
    return pack(body, tail, fallback=text)


def text_message(text: str) -> SlackMessage:
    """A short mrkdwn message (help, apologies, reports) as one section with a fallback."""
    return SlackMessage(text=truncate(text, FALLBACK_TEXT), blocks=sections(text))


def recommendation_metadata(recommendation: Recommendation) -> dict[str, Any]:
    """Slack message metadata for workflows: the engine's JSON values of outcome and confidence."""
    report = recommendation.report()
    return {
        "event_type": RECOMMENDATION_EVENT,
        "event_payload": {
            "recommendation": report["recommendation"],
            "confidence": report["confidence"],
        },
    }


def _factor_line(recommendation: Recommendation, factor) -> str:
    line = (
        f"• *{escape(factor.label)}* ({escape(factor.value_label)}): {escape(factor.explanation)}"
    )
    if factor.citation is None:
        return f"{line} _({assessment_messages.NO_CITATION})_"
    return f"{line} [{recommendation.citation_number(factor.citation)}]"


def recommendation_message(recommendation: Recommendation, *, channel: str) -> SlackMessage:
    """The recommendation as one message, with a button to share it in `channel` (the
    conversation the command was run in), or, run in a DM, how to share one."""
    outcome = recommendation.outcome.label
    counterfactual = recommendation.counterfactual
    what_changes = (
        counterfactual.summary if counterfactual else assessment_messages.no_counterfactual(outcome)
    )
    steps = "\n".join(
        f"{number}. {escape(step)}" for number, step in enumerate(recommendation.next_steps, 1)
    )
    factors = "\n".join(_factor_line(recommendation, factor) for factor in recommendation.factors)
    blocks = [
        header(messages.recommendation_heading(outcome)),
        *sections(escape(recommendation.summary)),
        *context([messages.confidence(f"{recommendation.confidence:.0%}")]),
        divider(),
        *sections(f"{messages.FACTORS_HEADING}\n{factors}"),
        *sections(f"{messages.COUNTERFACTUAL_HEADING}\n{escape(what_changes)}"),
        *sections(f"{messages.NEXT_STEPS_HEADING}\n{steps}"),
        *sources(list(enumerate(recommendation.citations, 1))),
    ]
    if is_direct_message(channel):  # run in a DM: the bot cannot post in anyone else's
        blocks += context([messages.SHARE_FROM_A_CHANNEL])
    else:
        value = {"channel": channel, **recommendation_metadata(recommendation)["event_payload"]}
        blocks.append(
            actions(
                SHARE_BLOCK,
                button(messages.SHARE_BUTTON, SHARE_ACTION, json.dumps(value), style="primary"),
            )
        )
    fallback = messages.recommendation_fallback(
        outcome, f"{recommendation.confidence:.0%}", recommendation.summary
    )
    return SlackMessage(
        text=truncate(fallback, FALLBACK_TEXT),
        blocks=blocks,
        metadata=recommendation_metadata(recommendation),
    )


def shared_recommendation(
    original: dict[str, Any], *, user_id: str, payload: dict[str, Any]
) -> SlackMessage:
    """A recommendation as posted in a channel: without the share button, with who shared it."""
    blocks = [block for block in original.get("blocks", []) if block.get("block_id") != SHARE_BLOCK]
    blocks += context([messages.shared_by(user_id)])
    return SlackMessage(
        text=original.get("text", ""),
        blocks=blocks,
        metadata={"event_type": RECOMMENDATION_EVENT, "event_payload": payload},
    )
