"""Block Kit checks the emulator applies as Slack does: the limits that make real calls fail.

Each check returns messages in Slack's style, `"must be ... [json-pointer:/blocks/0/text/text]"`;
an empty list means Slack would accept the payload. The numbers are Slack's documented limits
(and, for the total size of a message's blocks, the limit observed in practice), kept here
independently of the bot's renderer so that the tests catch a renderer that gets them wrong.
"""

from typing import Any

MESSAGE_TEXT_LIMIT = 40_000
MESSAGE_BLOCKS = 50
MESSAGE_BLOCKS_TEXT_LIMIT = 13_000
MODAL_BLOCKS = 100
SECTION_TEXT = 3000
SECTION_FIELDS = 10
SECTION_FIELD_TEXT = 2000
HEADER_TEXT = 150
CONTEXT_ELEMENTS = 10
ACTIONS_ELEMENTS = 25
BUTTON_TEXT = 75
BUTTON_VALUE = 2000
ID_LENGTH = 255
MODAL_TITLE = 24
MODAL_BUTTON = 24
PRIVATE_METADATA = 3000
INPUT_LABEL = 2000
SELECT_OPTIONS = 100
OPTION_TEXT = 75
OPTION_VALUE = 150
TEXT_OBJECT = 3000
HOME_BLOCKS = 100
CONTEXT_ACTIONS_ELEMENTS = 5
ASSISTANT_PROMPTS = 4
ASSISTANT_LOADING_MESSAGES = 10

MESSAGE_BLOCK_TYPES = {
    "section",
    "header",
    "divider",
    "context",
    "actions",
    "image",
    "rich_text",
    "markdown",
}
# Slack's AI-app block (feedback buttons, icon buttons): not in every workspace.
AI_BLOCK_TYPES = {"context_actions"}
MODAL_BLOCK_TYPES = MESSAGE_BLOCK_TYPES | {"input"}
INPUT_ELEMENT_TYPES = {
    "plain_text_input",
    "static_select",
    "multi_static_select",
    "radio_buttons",
    "checkboxes",
    "number_input",
    "datepicker",
    "users_select",
    "conversations_select",
}


def _text_object(value: Any, where: str, *, limit: int, plain_only: bool = False) -> list[str]:
    if not isinstance(value, dict) or value.get("type") not in ("plain_text", "mrkdwn"):
        return [f"must be a text object [json-pointer:{where}]"]
    if plain_only and value["type"] != "plain_text":
        return [f"must be plain_text [json-pointer:{where}/type]"]
    text = value.get("text")
    if not isinstance(text, str) or not text:
        return [f"must be a non-empty string [json-pointer:{where}/text]"]
    if len(text) > limit:
        return [f"must be less than {limit + 1} characters [json-pointer:{where}/text]"]
    return []


def _length(value: Any, where: str, limit: int) -> list[str]:
    if value is not None and len(str(value)) > limit:
        return [f"must be less than {limit + 1} characters [json-pointer:{where}]"]
    return []


def _option(option: Any, where: str) -> list[str]:
    if not isinstance(option, dict):
        return [f"must be an option object [json-pointer:{where}]"]
    return _text_object(option.get("text"), f"{where}/text", limit=OPTION_TEXT) + _length(
        option.get("value"), f"{where}/value", OPTION_VALUE
    )


def _element(element: Any, where: str) -> list[str]:
    if not isinstance(element, dict) or "type" not in element:
        return [f"must be an element object [json-pointer:{where}]"]
    errors = _length(element.get("action_id"), f"{where}/action_id", ID_LENGTH)
    kind = element["type"]
    if kind == "button":
        errors += _text_object(
            element.get("text"), f"{where}/text", limit=BUTTON_TEXT, plain_only=True
        )
        errors += _length(element.get("value"), f"{where}/value", BUTTON_VALUE)
        errors += _length(element.get("url"), f"{where}/url", 3000)
    elif kind in ("static_select", "multi_static_select", "radio_buttons", "checkboxes"):
        options = element.get("options") or []
        if not options or len(options) > SELECT_OPTIONS:
            errors.append(f"must have 1 to {SELECT_OPTIONS} options [json-pointer:{where}/options]")
        for i, option in enumerate(options):
            errors += _option(option, f"{where}/options/{i}")
        if "initial_option" in element:
            errors += _option(element["initial_option"], f"{where}/initial_option")
    elif kind == "plain_text_input":
        if int(element.get("max_length", 3000)) > 3000:
            errors.append(f"must be at most 3000 [json-pointer:{where}/max_length]")
    elif kind not in INPUT_ELEMENT_TYPES | {"overflow", "image", "datepicker"}:
        errors.append(f"unsupported element type {kind!r} [json-pointer:{where}/type]")
    return errors


def _block(block: Any, where: str, allowed: set[str]) -> list[str]:
    if not isinstance(block, dict) or block.get("type") not in allowed:
        kind = block.get("type") if isinstance(block, dict) else None
        return [f"unsupported block type {kind!r} [json-pointer:{where}/type]"]
    errors = _length(block.get("block_id"), f"{where}/block_id", ID_LENGTH)
    kind = block["type"]
    if kind == "section":
        if "text" not in block and "fields" not in block:
            errors.append(f"must have text or fields [json-pointer:{where}]")
        if "text" in block:
            errors += _text_object(block["text"], f"{where}/text", limit=SECTION_TEXT)
        fields = block.get("fields", [])
        if len(fields) > SECTION_FIELDS:
            errors.append(f"must have at most {SECTION_FIELDS} items [json-pointer:{where}/fields]")
        for i, field in enumerate(fields):
            errors += _text_object(field, f"{where}/fields/{i}", limit=SECTION_FIELD_TEXT)
        if "accessory" in block:
            errors += _element(block["accessory"], f"{where}/accessory")
    elif kind == "header":
        errors += _text_object(
            block.get("text"), f"{where}/text", limit=HEADER_TEXT, plain_only=True
        )
    elif kind == "context":
        elements = block.get("elements") or []
        errors += _item_count(elements, CONTEXT_ELEMENTS, f"{where}/elements")
        for i, element in enumerate(elements):
            if isinstance(element, dict) and element.get("type") == "image":
                continue
            errors += _text_object(element, f"{where}/elements/{i}", limit=TEXT_OBJECT)
    elif kind == "actions":
        elements = block.get("elements") or []
        errors += _item_count(elements, ACTIONS_ELEMENTS, f"{where}/elements")
        for i, element in enumerate(elements):
            errors += _element(element, f"{where}/elements/{i}")
    elif kind == "input":
        errors += _text_object(
            block.get("label"), f"{where}/label", limit=INPUT_LABEL, plain_only=True
        )
        element = block.get("element")
        if not isinstance(element, dict) or element.get("type") not in INPUT_ELEMENT_TYPES:
            errors.append(f"must be an input element [json-pointer:{where}/element]")
        else:
            errors += _element(element, f"{where}/element")
        if "hint" in block:
            errors += _text_object(
                block["hint"], f"{where}/hint", limit=INPUT_LABEL, plain_only=True
            )
    elif kind == "markdown":
        errors += _length(block.get("text"), f"{where}/text", 12_000)
    elif kind == "context_actions":
        elements = block.get("elements") or []
        errors += _item_count(elements, CONTEXT_ACTIONS_ELEMENTS, f"{where}/elements")
        for i, element in enumerate(elements):
            errors += _context_action(element, f"{where}/elements/{i}")
    return errors


def _item_count(items: list[Any], most: int, where: str) -> list[str]:
    """Slack's error for a list of elements that is empty or longer than it allows."""
    return [] if 0 < len(items) <= most else [f"must have 1 to {most} items [json-pointer:{where}]"]


def _context_action(element: Any, where: str) -> list[str]:
    """A `feedback_buttons` (two button objects) or `icon_button` element."""
    if not isinstance(element, dict) or element.get("type") not in (
        "feedback_buttons",
        "icon_button",
    ):
        return [f"must be feedback_buttons or icon_button [json-pointer:{where}/type]"]
    errors = _length(element.get("action_id"), f"{where}/action_id", ID_LENGTH)
    if element["type"] == "icon_button":
        return errors + _text_object(
            element.get("text"), f"{where}/text", limit=BUTTON_TEXT, plain_only=True
        )
    for side in ("positive_button", "negative_button"):
        button = element.get(side)
        if not isinstance(button, dict):
            errors.append(f"must be a button object [json-pointer:{where}/{side}]")
            continue
        errors += _text_object(
            button.get("text"), f"{where}/{side}/text", limit=BUTTON_TEXT, plain_only=True
        )
        if not button.get("value"):
            errors.append(f"must be a non-empty string [json-pointer:{where}/{side}/value]")
        errors += _length(button.get("value"), f"{where}/{side}/value", BUTTON_VALUE)
    return errors


def _all_text(value: Any) -> int:
    """Characters of every `text` string in a payload (what Slack's total-size limit counts)."""
    if isinstance(value, dict):
        own = len(value["text"]) if isinstance(value.get("text"), str) else 0
        return own + sum(_all_text(item) for item in value.values() if not isinstance(item, str))
    if isinstance(value, list):
        return sum(_all_text(item) for item in value)
    return 0


def check_blocks(blocks: Any, *, surface: str = "message", ai_blocks: bool = True) -> list[str]:
    """Problems Slack reports as `invalid_blocks` for a message's (or a modal's) blocks;
    without `ai_blocks` (a workspace without Slack's AI features) no `context_actions`."""
    if not isinstance(blocks, list):
        return ["must be an array [json-pointer:/blocks]"]
    limit, allowed = {
        "modal": (MODAL_BLOCKS, MODAL_BLOCK_TYPES),
        "home": (HOME_BLOCKS, MODAL_BLOCK_TYPES),
    }.get(
        surface,
        (MESSAGE_BLOCKS, MESSAGE_BLOCK_TYPES | (AI_BLOCK_TYPES if ai_blocks else set())),
    )
    errors = []
    if len(blocks) > limit:
        errors.append(f"must have at most {limit} items [json-pointer:/blocks]")
    block_ids = [
        block.get("block_id")
        for block in blocks
        if isinstance(block, dict) and block.get("block_id")
    ]
    if len(block_ids) != len(set(block_ids)):
        errors.append("block_id must be unique [json-pointer:/blocks]")
    for i, block in enumerate(blocks):
        errors += _block(block, f"/blocks/{i}", allowed)
    return errors


def message_error(
    text: Any, blocks: Any, *, ai_blocks: bool = True
) -> tuple[str, list[str]] | None:
    """The error code (and details) Slack would answer a message with, or None when valid."""
    if not text and not blocks:
        return "no_text", []
    if text is not None and len(str(text)) > MESSAGE_TEXT_LIMIT:
        return "msg_too_long", []
    if blocks:
        problems = check_blocks(blocks, ai_blocks=ai_blocks)
        if problems:
            return "invalid_blocks", problems
        if _all_text(blocks) > MESSAGE_BLOCKS_TEXT_LIMIT:
            return "msg_blocks_too_long", []
    return None


def check_view(view: Any, *, surface: str = "modal") -> list[str]:
    """Problems Slack reports as `invalid_arguments` for a view: a modal, or a Home tab
    (`surface="home"`, no title or buttons, at most 100 blocks)."""
    if not isinstance(view, dict) or view.get("type") != surface:
        return [f"must be a {surface} view [json-pointer:/view/type]"]
    if surface == "home":
        errors = _length(view.get("private_metadata"), "/view/private_metadata", PRIVATE_METADATA)
        errors += _length(view.get("callback_id"), "/view/callback_id", ID_LENGTH)
        return errors + [
            error.replace("json-pointer:/blocks", "json-pointer:/view/blocks")
            for error in check_blocks(view.get("blocks", []), surface="home")
        ]
    errors = _text_object(view.get("title"), "/view/title", limit=MODAL_TITLE, plain_only=True)
    for button in ("submit", "close"):
        if button in view:
            errors += _text_object(
                view[button], f"/view/{button}", limit=MODAL_BUTTON, plain_only=True
            )
    has_input = any(
        isinstance(b, dict) and b.get("type") == "input" for b in view.get("blocks", [])
    )
    if has_input and "submit" not in view:
        errors.append(
            "must provide submit when the view has input blocks [json-pointer:/view/submit]"
        )
    errors += _length(view.get("private_metadata"), "/view/private_metadata", PRIVATE_METADATA)
    errors += _length(view.get("callback_id"), "/view/callback_id", ID_LENGTH)
    errors += [
        error.replace("json-pointer:/blocks", "json-pointer:/view/blocks")
        for error in check_blocks(view.get("blocks", []), surface="modal")
    ]
    return errors
