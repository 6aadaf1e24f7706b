"""`/ai-strategy add <url>` and `remove <doc>` in Slack: the real Bolt app through the emulator,
a real web page on loopback, the real model and index; refused for people who are not admins.
And a file an admin shares in a DM with the bot, offered to be added."""

import re

import pytest

from bot.settings import Settings
from bot.slack import messages
from bot.slack.engines import Engines
from bot.slack.uploads import ADD_FILE_ACTION, on_slack
from bot.storage import Store
from ingest.pipeline import run_ingest
from tests.slack_helpers import ADMIN, ALICE, GENERAL, start_harness
from tests.web_pages import ARTICLE_TITLE, PageServer

SLUG = "prompt-caching-changes-the-fine-tuning-math"
NOTES = "# Prompt notes\n\nPrompt engineering changes instructions.\n\nFine-tuning changes weights.\n\nBoth help.\n"


@pytest.fixture
def admin_slack(tmp_path):
    knowledge = tmp_path / "knowledge"
    knowledge.mkdir()
    (knowledge / "prompt-notes.md").write_text(NOTES, encoding="utf-8")
    settings = Settings(knowledge_dir=knowledge, data_dir=tmp_path / "data", _env_file=None)
    run_ingest(settings)

    def unused(*args):
        raise AssertionError("not used")

    engines = Engines(answer=unused, recommend=unused, reindex=lambda: run_ingest(settings))
    harness = start_harness(settings, engines, data_dir=tmp_path / "slack")
    with PageServer() as pages:
        yield harness, pages, knowledge
    harness.close()


def replies(slack, count: int) -> list[str]:
    return [
        call.args["text"] for call in slack.calls.wait("response_url", count=count, timeout=180)
    ]


def test_non_admins_cannot_add_or_remove(admin_slack):
    harness, pages, knowledge = admin_slack
    for text, verb in (
        (f"add <{pages.base_url}/article>", "add"),
        ("remove prompt-notes", "remove"),
    ):
        refused = harness.slack.run_command(ALICE, GENERAL, text)
        assert refused.message()["text"] == messages.knowledge_change_refused(verb)
    harness.finish_requests()
    assert sorted(path.name for path in knowledge.iterdir()) == ["prompt-notes.md"]
    assert not harness.slack.calls("response_url")


@pytest.mark.slow
def test_admin_adds_and_removes_a_page_and_every_change_is_recorded(admin_slack):
    harness, pages, knowledge = admin_slack
    slack = harness.slack
    url = f"{pages.base_url}/article"
    started = slack.run_command(ADMIN, GENERAL, f"add <{url}>")  # Slack sends links like this
    assert started.message()["text"].startswith(":arrows_counterclockwise: Adding")
    added = replies(slack, 1)[0]
    assert f"Added *{ARTICLE_TITLE}* from {url}." in added
    assert f"• added *{ARTICLE_TITLE}*: 2 chunks" in added
    assert (knowledge / f"{SLUG}.md").is_file()
    harness.finish_requests()

    slack.run_command(ADMIN, GENERAL, f"remove {SLUG}")
    removed = replies(slack, 2)[1]
    assert f"Removed *{ARTICLE_TITLE}*." in removed and f"• deleted *{ARTICLE_TITLE}*" in removed
    assert not (knowledge / f"{SLUG}.md").exists()
    harness.finish_requests()

    slack.run_command(ADMIN, GENERAL, f"add {pages.base_url}/to-file")
    refused = replies(slack, 3)[2]
    assert refused.startswith(":x: Nothing changed:") and "file:///etc/passwd" in refused
    harness.finish_requests()

    store = Store(harness.settings.resolved_database_url)
    try:
        history = store.knowledge_history()
    finally:
        store.close()
    assert [(c.who, c.action, c.doc, c.title) for c in history] == [
        (ADMIN, "remove", SLUG, ARTICLE_TITLE),
        (ADMIN, "add", SLUG, ARTICLE_TITLE),
    ]
    assert history[1].source == url and history[1].chunks and history[1].published


UPLOAD_NAME = "caching-notes.md"
UPLOAD = b"# Caching notes\n\nPrompt caching cuts the cost of a long system prompt.\n"


def dm_posts(slack, dm: str, count: int = 1):
    return slack.calls.wait(
        "chat.postMessage", where=lambda c: c.ok and c.args["channel"] == dm, count=count
    )


def reindexed_updates(slack):
    """The offer replaced by what changed, once the click's re-index is done."""
    return slack.calls.wait(
        "chat.update", where=lambda c: c.ok and "Re-indexed" in c.args["text"], timeout=120
    )


def test_a_file_an_admin_shares_in_a_dm_is_offered_then_added_on_the_click(admin_slack):
    harness, _, knowledge = admin_slack
    slack = harness.slack
    dm = slack.workspace.dm_with(ADMIN).id
    slack.user_says(ADMIN, dm, "", files=[(UPLOAD_NAME, UPLOAD)])
    offer = dm_posts(slack, dm)[0]
    assert f"Add *{UPLOAD_NAME}* to the knowledge base?" in offer.args["text"]
    assert (knowledge / "caching-notes.md").exists() is False  # nothing before the click
    slack.click(ADMIN, dm, offer.response["ts"], ADD_FILE_ACTION)
    updates = reindexed_updates(slack)
    report = updates[0].args["text"]
    assert f"Added *Caching notes* from {UPLOAD_NAME}." in report
    assert re.search(r"• added \*Caching notes\*: \d+ chunks?", report)
    assert (knowledge / "caching-notes.md").is_file()
    shown = slack.workspace.find_message(dm, offer.response["ts"])
    assert shown["text"] == report and not any(b["type"] == "actions" for b in shown["blocks"])
    assert slack.calls("files-pri")[0].ok  # downloaded with the bot's token
    harness.finish_requests()
    store = Store(harness.settings.resolved_database_url)
    try:
        (change,) = store.knowledge_history()
    finally:
        store.close()
    assert (change.who, change.action, change.doc, change.source) == (
        ADMIN, "add", "caching-notes", UPLOAD_NAME,
    )  # fmt: skip


def test_a_file_shared_in_the_assistant_thread_is_offered_there(admin_slack):
    harness, _, knowledge = admin_slack
    slack = harness.slack
    dm = slack.workspace.dm_with(ADMIN).id
    thread = slack.open_assistant_thread(ADMIN)
    slack.user_says(ADMIN, dm, "", thread_ts=thread, files=[(UPLOAD_NAME, UPLOAD)])
    # the thread's greeting and the offer are posted by two listeners: in either order
    offer_text = f"Add *{UPLOAD_NAME}* to the knowledge base?"
    (offer,) = slack.calls.wait(
        "chat.postMessage",
        where=lambda c: c.ok and c.args["channel"] == dm and offer_text in c.args["text"],
    )
    assert offer.args.get("thread_ts") == thread  # in the thread it was shared in
    slack.click(ADMIN, dm, offer.response["ts"], ADD_FILE_ACTION)
    reindexed_updates(slack)
    assert (knowledge / "caching-notes.md").is_file()
    harness.finish_requests()


def test_a_file_described_off_slack_is_not_downloaded_with_the_token(admin_slack):
    harness, pages, knowledge = admin_slack
    slack = harness.slack
    dm = slack.workspace.dm_with(ADMIN).id
    slack.user_says(ADMIN, dm, "", files=[(UPLOAD_NAME, UPLOAD)])
    offer = dm_posts(slack, dm)[0]
    for shared in slack.workspace.files.values():  # files.info now points at another server
        shared.info["url_private_download"] = f"{pages.base_url}/article"
    slack.click(ADMIN, dm, offer.response["ts"], ADD_FILE_ACTION)
    refusal = messages.knowledge_change_failed(messages.upload_not_on_slack(UPLOAD_NAME))
    slack.calls.wait("chat.update", where=lambda c: c.ok and c.args["text"] == refusal)
    harness.finish_requests()
    assert sorted(path.name for path in knowledge.iterdir()) == ["prompt-notes.md"]


@pytest.mark.parametrize(
    ("url", "api_url", "followed"),
    [
        ("https://files.slack.com/files-pri/T1-F1/x.md", "https://slack.com/api/", True),
        ("http://127.0.0.1:8001/files-pri/T1-F1/x.md", "http://127.0.0.1:8001/api/", True),
        ("https://evil.example/x.md", "https://slack.com/api/", False),
        ("https://slack.com.evil.example/x.md", "https://slack.com/api/", False),
        ("http://files.slack.com/x.md", "https://slack.com/api/", False),
        ("http://127.0.0.1:9999/x.md", "http://127.0.0.1:8001/api/", False),
        ("", "https://slack.com/api/", False),
    ],
)
def test_only_slack_hosts_get_the_token(url, api_url, followed):
    assert on_slack(url, api_url) is followed


def test_files_from_others_or_of_other_types_are_not_offered(admin_slack):
    harness, _, knowledge = admin_slack
    slack = harness.slack
    alice_dm = slack.workspace.dm_with(ALICE).id
    slack.user_says(ALICE, alice_dm, "", files=[(UPLOAD_NAME, UPLOAD)])
    assert dm_posts(slack, alice_dm)[0].args["text"] == messages.UPLOAD_NOT_ADMIN
    admin_dm = slack.workspace.dm_with(ADMIN).id
    slack.user_says(ADMIN, admin_dm, "", files=[("slides.pptx", b"PK\x03\x04")])
    note = dm_posts(slack, admin_dm)[0].args["text"]
    assert "*slides.pptx* is not one" in note and ".pdf" in note
    slack.user_says(ADMIN, admin_dm, "", files=[(UPLOAD_NAME, UPLOAD)])
    offer = dm_posts(slack, admin_dm, count=2)[1]
    slack.click(ALICE, admin_dm, offer.response["ts"], ADD_FILE_ACTION)  # a forged click
    refused = slack.calls.wait("chat.update", where=lambda c: c.ok)[0]
    assert refused.args["text"] == messages.knowledge_change_refused("add")
    harness.finish_requests()
    assert not slack.calls("files.info") and not slack.calls("files-pri")
    assert sorted(path.name for path in knowledge.iterdir()) == ["prompt-notes.md"]
