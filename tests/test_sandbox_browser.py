"""The sandbox page in a real headless Chromium, wired to the real bot and engines over the index.

A person asks in #general and reads the cited answer in its thread, follows up there, rates
the answer (stored: `ai-strategy feedback` counts it), and walks `/ai-strategy` through the
modal to a recommendation in their DM. They open the app's Home tab (the index facts; as an
admin they switch a channel off there) and its assistant panel (suggested prompts, a title,
the answer in the thread). A fixture message with every kind of block checks the
Block Kit and mrkdwn rendering in the DOM. Screenshots go to test-artifacts/sandbox/.

Debian's chromium is driven by playwright's own driver (no browser download). Without
/usr/bin/chromium the tests are skipped, except in CI (`CI` set), where they must run.
"""

import json
import os
import re
import tempfile
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.sandbox import PERSON, Sandbox
from bot.slack.engines import Engines
from bot.slack.messages import EXAMPLE_QUESTIONS
from bot.slack.modal import questions_of
from bot.storage import ChannelMode

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "test-artifacts" / "sandbox"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
ANSWER_SECONDS = 60_000  # ms; the first real answer of a session may load the model
QUESTION = "How much labeled data does fine-tuning need?"
FOLLOW_UP = "What about the cost?"
GENERAL = "C0GENERAL"

if not os.environ.get("CI"):
    if not CHROMIUM.exists():
        pytest.skip(
            f"{CHROMIUM} is missing (apt-get install chromium); CI installs it",
            allow_module_level=True,
        )
    pytest.importorskip(
        "playwright.sync_api", reason="playwright is not installed (pip install playwright)"
    )
from playwright.sync_api import expect, sync_playwright


@pytest.fixture(scope="module")
def engines(indexed_settings) -> Engines:
    """The real engines over the session's index, warmed up once (the model loads on first use)."""
    real = Engines.from_settings(indexed_settings)
    real.answer(EXAMPLE_QUESTIONS[0], ())
    yield real
    real.close()


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as driver, tempfile.TemporaryDirectory() as profile:
        context = driver.chromium.launch_persistent_context(
            profile,
            executable_path=str(CHROMIUM),
            args=CHROMIUM_ARGS,
            viewport={"width": 1400, "height": 900},
            locale="en-US",
        )
        yield context
        context.close()


@pytest.fixture
def database_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'state.sqlite3'}"


@pytest.fixture
def sandbox(indexed_settings, engines, database_url):
    settings = indexed_settings.model_copy(update={"database_url": database_url})
    with Sandbox(settings, engines=engines, port=0) as started:
        yield started


@pytest.fixture
def page(browser, sandbox):
    """The sandbox page, loaded and live; fails the test on any script error or failed load."""
    opened = browser.new_page()
    problems = []
    opened.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    # A refused action (HTTP 400) is shown to the person; the console notes it too.
    refused = "the server responded with a status of 400"
    opened.on(
        "console",
        lambda message: (
            message.type == "error"
            and refused not in message.text
            and problems.append(message.text)
        ),
    )
    opened.goto(sandbox.url)
    expect(opened.locator("#connection")).to_have_text("Live")
    yield opened
    opened.close()
    assert not problems


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def send(page, text: str, *, composer: str = "#composer-input") -> None:
    page.fill(composer, text)
    page.press(composer, "Enter")


def expect_cited_reply(thread, question, *, nth: int) -> None:
    """Message `nth` of the open thread is the bot's, with sources; the thread link counts it."""
    expect(thread.locator(".message")).to_have_count(nth + 1, timeout=ANSWER_SECONDS)
    reply = thread.locator(".message").nth(nth)
    expect(reply.locator(".message-author")).to_have_text("ai-strategy")
    expect(reply.locator(".bk-context").first).to_contain_text("Sources")
    expect(question.locator(".thread-link")).to_contain_text(f"{nth} replies")


def test_a_question_gets_a_cited_answer_in_a_thread_a_follow_up_and_stored_feedback(
    page, database_url
):
    expect(page.locator("#composer-input")).to_be_focused()
    send(page, f"@ai-strategy {QUESTION}")
    question = page.locator("#messages .message", has_text=QUESTION)
    expect(question.locator(".bk-mention")).to_have_text("@ai-strategy")
    expect(question.locator(".thread-link")).to_contain_text("1 reply", timeout=ANSWER_SECONDS)
    shot(page, "01-question-answered-in-thread")

    question.locator(".thread-link").click()
    thread = page.locator("#thread")
    expect(thread).to_be_visible()
    expect(page.locator("#thread-input")).to_be_focused()
    answer = thread.locator(".message").nth(1)
    expect(answer.locator(".message-author")).to_have_text("ai-strategy")
    expect(answer.locator(".bk-section-text").first).to_contain_text("[1]")
    sources = answer.locator(".bk-context")
    expect(sources.first).to_contain_text("Sources")
    expect(sources.first).to_contain_text(re.compile(r"\[1\] \S"))
    shot(page, "02-cited-answer")

    send(page, FOLLOW_UP, composer="#thread-input")
    # Cited: the bot read the thread's first turn (alone, "What about the cost?" is declined).
    expect_cited_reply(thread, question, nth=3)
    shot(page, "03-follow-up-in-thread")

    answer.get_by_role("button", name="This answer was helpful").click()
    thanks = thread.locator(".message-ephemeral")  # in the answer's thread, where the click was
    expect(thanks).to_contain_text("Thanks")
    expect(thanks).to_contain_text("Only visible to you")
    shot(page, "04-feedback-thanks")
    result = CliRunner().invoke(
        app, ["feedback", "--json"], env={"AI_STRATEGY_DATABASE_URL": database_url}
    )
    summary = json.loads(result.output)
    assert (summary["total"], summary["up"]) == (1, 1)

    page.keyboard.press("Escape")
    expect(thread).to_be_hidden()
    expect(question.locator(".thread-link")).to_be_focused()


def test_a_mention_part_way_through_a_thread_is_answered_from_the_thread(page, sandbox):
    slack = sandbox.emulator
    start = slack.user_says(
        "U0ALICE", GENERAL, "We have 300 labeled support tickets. Should we fine-tune on them?"
    )
    slack.user_says(
        "U0BOB", GENERAL, "Or write better prompts with a few examples?", thread_ts=start.ts
    )
    slack.user_says("U0ALICE", GENERAL, "bob, what would that cost us?", thread_ts=start.ts)
    question = page.locator("#messages .message", has_text="300 labeled support tickets")
    expect(question.locator(".thread-link")).to_contain_text("2 replies")
    question.locator(".thread-link").click()
    thread = page.locator("#thread")
    expect(thread.locator(".message")).to_have_count(3)

    send(page, "@ai-strategy what do you think?", composer="#thread-input")

    # Cited: the bot read what people wrote ("what do you think?" alone would be declined).
    expect_cited_reply(thread, question, nth=4)
    shot(page, "04b-mid-thread-mention")
    assert slack.calls("conversations.replies", where=lambda c: c.ok)


def test_ai_strategy_walks_the_modal_to_a_recommendation_sent_by_dm(page, sandbox):
    send(page, "/ai-strategy")
    modal = page.get_by_role("dialog")
    expect(modal).to_contain_text("Step 1 of 3")
    page.keyboard.press("Escape")  # closes it, as in Slack
    expect(modal).to_have_count(0)

    send(page, "/ai-strategy")
    expect(modal).to_contain_text("Step 1 of 3")
    use_case = modal.get_by_label("Use case")
    expect(use_case).to_be_focused()
    expect(modal.get_by_label("Domain")).to_have_value("general")  # the model's preselection
    expect(modal.locator('[data-block-id="domain"] .bk-hint')).to_contain_text("How specialized")
    shot(page, "05-modal-step-1")

    # Slack's client itself refuses more than max_length characters…
    use_case.fill("x" * 600)
    modal.get_by_role("button", name="Next").click()
    expect(modal.locator('[data-block-id="use_case"] .bk-error')).to_have_text(
        "Must be 500 characters or fewer."
    )
    # …so the app's own field errors (response_action: errors) are provoked through the emulator.
    values = {q.field: (q.default if q.options else "x" * 600) for q in questions_of(1)}
    assert sandbox.emulator.submit_view(PERSON.id, values).status == 200
    app_error = modal.locator('[data-block-id="use_case"] .bk-error')
    expect(app_error).not_to_have_text("Must be 500 characters or fewer.")
    expect(app_error).to_be_visible()
    expect(use_case).to_have_attribute("aria-invalid", "true")
    shot(page, "06-modal-field-error")

    use_case.fill("Classify support tickets by product area.")
    modal.get_by_label("Domain").select_option("specialized")
    modal.get_by_role("button", name="Next").click()
    expect(modal).to_contain_text("Step 2 of 3")
    shot(page, "07-modal-step-2")
    modal.get_by_role("button", name="Back", exact=True).last.click()
    expect(modal).to_contain_text("Step 1 of 3")
    expect(modal.get_by_label("Domain")).to_have_value("specialized")  # kept, as Slack keeps it
    modal.get_by_role("button", name="Next").click()
    expect(modal).to_contain_text("Step 2 of 3")
    modal.get_by_role("button", name="Next").click()
    expect(modal).to_contain_text("Step 3 of 3")
    modal.get_by_label("Labeled data").select_option("thousands")
    shot(page, "08-modal-step-3")
    modal.get_by_role("button", name="Get recommendation").click()
    expect(modal).to_have_count(0)

    dm = page.locator("#dm-list button")
    expect(dm.locator(".unread-badge")).to_be_visible(timeout=ANSWER_SECONDS)
    dm.click()
    recommendation = page.locator("#messages .message", has=page.locator(".bk-header"))
    expect(recommendation.locator(".bk-header")).to_contain_text("Recommendation:")
    expect(recommendation).to_contain_text("Confidence")
    expect(recommendation.locator(".bk-context").last).to_contain_text("[1]")
    shot(page, "09-recommendation-in-dm")

    recommendation.get_by_role("button", name="Share to channel").click()
    expect(page.locator("#messages .message-ephemeral")).to_contain_text("Shared in #general")
    page.locator("#channel-list button").click()
    shared = page.locator("#messages .message", has=page.locator(".bk-header"))
    expect(shared).to_contain_text("Shared by @you")
    shot(page, "10-recommendation-shared")


def test_the_home_tab_shows_the_index_and_an_admin_switches_a_channel_off(
    page, sandbox, knowledge_index
):
    page.locator("#home-button").click()
    home = page.locator("#home-blocks")
    expect(home).to_contain_text("What I know")
    published = knowledge_index.published()
    for document in published.manifest.documents.values():
        expect(home).to_contain_text(f"{document.title} ({document.chunks} passages)")
    expect(home).to_contain_text(published.name)
    expect(home).to_contain_text("How to use me")
    expect(home.get_by_role("button", name="Re-index now")).to_be_visible()  # an admin
    shot(page, "11-home-tab")

    home.get_by_label("Pick a channel").select_option(GENERAL)
    home.get_by_label("Choose").select_option("off")
    expect(home).to_contain_text("#general: Off (answer nothing)")
    assert sandbox.bot.store.channel_mode(GENERAL) is ChannelMode.OFF
    shot(page, "12-home-channel-off")

    page.locator("#channel-list button").click()
    send(page, f"@ai-strategy {QUESTION}")
    question = page.locator("#messages .message", has_text=QUESTION)
    expect(question).to_be_visible()
    page.wait_for_timeout(1500)
    expect(question.locator(".thread-link")).to_have_count(0)  # the channel is off: no answer


def test_the_assistant_panel_suggests_prompts_and_answers_in_its_titled_thread(page):
    page.locator("#assistant-button").click()
    thread = page.locator("#thread")
    expect(thread).to_be_visible()
    prompts = page.locator("#thread-prompts")
    expect(prompts.get_by_role("button", name="Run the assessment")).to_be_visible(
        timeout=ANSWER_SECONDS
    )
    expect(thread).to_contain_text("Hi! Ask me about adapting language models")
    shot(page, "13-assistant-thread")

    prompts.get_by_role("button", name=EXAMPLE_QUESTIONS[1]).click()
    expect(thread.locator(".message")).to_have_count(4, timeout=ANSWER_SECONDS)
    expect(page.locator("#thread-title")).to_have_text(EXAMPLE_QUESTIONS[1])
    answer = thread.locator(".message").nth(3)
    expect(answer.locator(".bk-context").first).to_contain_text("Sources")
    expect(answer.get_by_role("button", name="This answer was not helpful")).to_be_visible()
    expect(prompts).to_be_hidden()  # asked: the suggestions step aside
    shot(page, "14-assistant-answer")


FIXTURE = [
    {
        "type": "header",
        "text": {"type": "plain_text", "text": "Every block :rocket:", "emoji": True},
    },
    {
        "type": "section",
        "block_id": "mrkdwn",
        "text": {
            "type": "mrkdwn",
            "text": (
                "*bold* _italic_ ~strike~ `code *not bold*` <https://example.com/doc|a link> "
                "<@U0AIBOT> <#C0GENERAL> snake_case_name 2*3*4 &lt;b&gt;not bold&lt;/b&gt; :eyes:\n"
                "*bold with _italic_ inside*\n"
                "&gt; a quoted line\n"
                "• first bullet\n"
                "- second bullet\n"
                "```line one\n*not bold* in code```\n"
                "last line <javascript:alert(1)|not a link> "
                '&lt;img src=x onerror="window.injected=1"&gt;'
            ),
        },
    },
    {
        "type": "section",
        "block_id": "fields",
        "text": {"type": "plain_text", "text": "Fields and an accessory"},
        "fields": [
            {"type": "mrkdwn", "text": "*Prompt engineering*\nCheap"},
            {"type": "plain_text", "text": "<script>window.injected = 1</script>"},
        ],
        "accessory": {
            "type": "button",
            "text": {"type": "plain_text", "text": "Details"},
            "action_id": "details",
            "value": "d",
        },
    },
    {"type": "divider"},
    {
        "type": "context",
        "block_id": "context",
        "elements": [
            {
                "type": "image",
                "image_url": "https://example.com/chart.png",
                "alt_text": "usage chart",
            },
            {"type": "mrkdwn", "text": "*Sources* [1] <https://example.com/1|First doc>"},
            {"type": "plain_text", "text": "plain context"},
        ],
    },
    {
        "type": "actions",
        "block_id": "buttons",
        "elements": [
            {
                "type": "button",
                "text": {"type": "plain_text", "text": "Approve"},
                "style": "primary",
                "action_id": "approve",
                "value": "1",
            },
            {
                "type": "button",
                "text": {"type": "plain_text", "text": "Delete"},
                "style": "danger",
                "action_id": "delete",
                "value": "2",
            },
            {
                "type": "overflow",
                "action_id": "more",
                "options": [{"text": {"type": "plain_text", "text": "One"}, "value": "1"}],
            },
        ],
    },
    {
        "type": "image",
        "block_id": "image",
        "image_url": "https://example.com/a.png",
        "alt_text": "a diagram",
        "title": {"type": "plain_text", "text": "Diagram"},
    },
    {
        "type": "rich_text",
        "block_id": "rich",
        "elements": [
            {
                "type": "rich_text_section",
                "elements": [
                    {"type": "text", "text": "rich "},
                    {"type": "text", "text": "bold", "style": {"bold": True}},
                    {"type": "text", "text": " for "},
                    {"type": "user", "user_id": PERSON.id},
                ],
            }
        ],
    },
    {"type": "table", "block_id": "table", "rows": [[{"type": "raw_text", "text": "a cell"}]]},
]


def test_every_block_and_mrkdwn_render_as_slack_shows_them(page, sandbox):
    ws = sandbox.emulator.workspace
    message = ws.add_message(
        ws.channels[GENERAL], user=ws.bot_user_id, text="fallback", blocks=FIXTURE
    )
    ws.react(GENERAL, message["ts"], "eyes", ws.bot_user_id, add=True)
    status = httpx.post(
        sandbox.emulator.api_url + "assistant.threads.setStatus",
        headers={"Authorization": f"Bearer {sandbox.emulator.bot_token}"},
        json={"channel_id": GENERAL, "thread_ts": message["ts"], "status": "is thinking…"},
    )
    assert status.json()["ok"]
    shown = page.locator("#messages .message", has_text="Every block")
    expect(shown.locator(".bk-header")).to_have_text("Every block 🚀")
    page.set_viewport_size({"width": 1400, "height": 1700})  # the whole message in one picture
    expect(page.locator("#status-line")).to_have_text("ai-strategy is thinking…")
    shot(page, "11-every-block")

    text = shown.locator('[data-block-id="mrkdwn"]')
    expect(text.locator("strong").first).to_have_text("bold")
    expect(text.locator("strong em")).to_have_text("italic")
    expect(text.locator("em").first).to_have_text("italic")
    expect(text.locator("del")).to_have_text("strike")
    expect(text.locator("code")).to_have_text("code *not bold*")
    expect(text.locator("strong")).to_have_count(2)  # not in code, snake_case or 2*3*4
    link = text.locator("a")
    expect(link).to_have_count(1)  # the javascript: one is plain text
    expect(link).to_have_text("a link")
    expect(link).to_have_attribute("href", "https://example.com/doc")
    expect(link).to_have_attribute("rel", "noopener noreferrer")
    expect(text.locator(".bk-mention")).to_have_text(["@ai-strategy", "#general"])
    expect(text).to_contain_text("snake_case_name 2*3*4 <b>not bold</b> 👀")
    expect(text.locator("blockquote")).to_have_text("a quoted line")
    expect(text.locator(".bk-list-item")).to_have_text(["•first bullet", "•second bullet"])
    expect(text.locator("pre")).to_have_text("line one\n*not bold* in code")
    expect(text).to_contain_text('last line not a link <img src=x onerror="window.injected=1">')

    fields = shown.locator('[data-block-id="fields"]')
    expect(fields.locator(".bk-fields > *")).to_have_count(2)
    expect(fields.locator(".bk-fields strong")).to_have_text("Prompt engineering")
    expect(fields.locator(".bk-fields")).to_contain_text("<script>window.injected = 1</script>")
    expect(fields.locator(".bk-accessory button")).to_have_text("Details")
    expect(shown.locator("hr.bk-divider")).to_have_count(1)

    context = shown.locator('[data-block-id="context"]')
    expect(context).to_contain_text("🖼 usage chart")
    expect(context.locator("a")).to_have_text("First doc")
    expect(context).to_contain_text("plain context")

    buttons = shown.locator('[data-block-id="buttons"]')
    expect(buttons.get_by_role("button", name="Approve")).to_have_class(
        re.compile("bk-button-primary")
    )
    expect(buttons.get_by_role("button", name="Delete")).to_have_class(
        re.compile("bk-button-danger")
    )
    expect(buttons.locator(".bk-raw-label")).to_have_text("Unsupported element: overflow")
    expect(shown.locator('[data-block-id="image"]')).to_contain_text("Diagram")
    expect(shown.locator('[data-block-id="image"]')).to_contain_text("a diagram")
    rich = shown.locator('[data-block-id="rich"]')
    expect(rich.locator("strong")).to_have_text("bold")
    expect(rich.locator(".bk-mention-me")).to_have_text("@you")
    table = shown.locator('[data-block-id="table"]')
    expect(table.locator(".bk-raw-label")).to_have_text("Unsupported block: table")
    expect(table.locator(".bk-raw-json")).to_contain_text('"a cell"')

    expect(shown.locator(".reaction")).to_have_attribute(
        "aria-label", re.compile(":eyes: reaction, 1")
    )
    expect(shown.locator(".reaction")).to_contain_text("👀1")
    expect(page.locator("#status-line")).to_have_text("ai-strategy is thinking…")
    assert page.locator("#messages img, #messages script").count() == 0
    assert page.evaluate("window.injected") is None

    # A click is a signed block_actions to the real app; no listener takes this button, and
    # the app acknowledges it all the same (Slack shows an error on a button answered 404).
    buttons.get_by_role("button", name="Approve").click()
    deadline = time.monotonic() + 10
    while not (clicked := [d for d in sandbox.emulator.deliveries if d.kind == "interaction"]):
        assert time.monotonic() < deadline, "the click was never delivered"
        time.sleep(0.05)
    assert [delivery.status for delivery in clicked] == [200]
    expect(page.locator("#notice")).to_be_hidden()
    shot(page, "12-every-block-clicked")


def test_the_page_is_usable_from_the_keyboard(page):
    page.keyboard.press("Shift+Tab")
    expect(page.locator(".example").last).to_be_focused()
    page.keyboard.press("Enter")  # an example question fills the composer
    expect(page.locator("#composer-input")).to_have_value(f"@ai-strategy {EXAMPLE_QUESTIONS[-1]}")
    expect(page.locator("#composer-input")).to_be_focused()
    page.locator("#dm-list button").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#conversation-title")).to_have_text("ai-strategy")
    expect(page.locator("#dm-list button")).to_have_attribute("aria-current", "page")
    expect(page.locator("#composer-input")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Send message")).to_be_focused()
    outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"  # focus is visible
