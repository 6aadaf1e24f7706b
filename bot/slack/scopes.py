"""The bot scopes the app needs, and what each is for: deploy/manifest.yaml asks for exactly these
(a test keeps the two in step), and `/readyz` names any the installed token lacks."""

from collections.abc import Mapping

BOT_SCOPES: Mapping[str, str] = {
    "app_mentions:read": "questions that @mention the bot",
    "channels:history": "follow-ups and thread context in public channels",
    "groups:history": "follow-ups and thread context in private channels",
    "im:history": "questions in a DM with the bot",
    "mpim:history": "follow-ups and thread context in group DMs",
    "chat:write": "posting answers, and the status while an answer is prepared",
    "reactions:write": "the :eyes: reaction where that status cannot be shown",
    "commands": "/ai-strategy",
    "files:read": "files an admin shares in a DM, to add them to the knowledge base",
    "assistant:write": "the assistant thread's suggested prompts and title",
}


def missing_scopes(granted_header: str | None) -> list[str]:
    """The needed scopes a token lacks, from Slack's `X-OAuth-Scopes` header (None: unknown)."""
    if granted_header is None:
        return []
    granted = {scope.strip() for scope in granted_header.split(",")}
    return [scope for scope in BOT_SCOPES if scope not in granted]
