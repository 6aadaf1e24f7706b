"""Secrets in text: the shapes of credentials, replaced with `[redacted]`.

One list for both places secrets must not pass: log lines (`common.logs.Redactor`) and the
text of documents at ingest (a pasted notes file with a Slack token must not be quoted in an
answer).
"""

import re

REDACTED = "[redacted]"

# Credentials recognisable by their shape alone.
TOKEN_PATTERNS = (
    re.compile(r"\bxox[a-z]-[A-Za-z0-9-]+"),  # Slack bot, user and other OAuth tokens
    re.compile(r"\bxapp-[A-Za-z0-9-]+"),  # Slack app-level tokens (Socket Mode)
    re.compile(r"\bsk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,}"),  # OpenAI / Anthropic API keys
    re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),  # AWS access key ids
    re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b"),  # GitHub tokens
    re.compile(r"\bgithub_pat_[A-Za-z0-9_]{22,}\b"),
    re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"),  # Google API keys
    re.compile(r"\bhf_[A-Za-z0-9]{30,}\b"),  # Hugging Face tokens
    re.compile(r"\bglpat-[A-Za-z0-9_-]{20,}\b"),  # GitLab tokens
    re.compile(r"\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}"),  # JWTs
    re.compile(
        r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(?:-----END [A-Z ]*PRIVATE KEY-----|\Z)", re.S
    ),
)
_BEARER = re.compile(r"(?i)\b(bearer\s+)[^\s'\",]+")
_URL_PASSWORD = re.compile(r"(\b[a-z][a-z0-9+.-]*://[^:/@\s]+:)[^@\s]+(@)")
# `api_key = 4f9c…`, `"client_secret": "…"`, `password: hunter2…`: a named secret and a value
# long enough not to be prose.
_ASSIGNED_SECRET = re.compile(
    r"(?i)\b((?:api[_-]?key|access[_-]?key|secret[_-]?key|client[_-]?secret|auth[_-]?token|"
    r"access[_-]?token|token|secret|password|passwd)[\"']?\s*[:=]\s*[\"']?)"
    r"([^\s\"',;]{8,})"
)


def redact_secrets(text: str) -> tuple[str, int]:
    """`text` with every credential replaced by `[redacted]`, and how many were."""
    count = 0
    for pattern in TOKEN_PATTERNS:
        text, found = pattern.subn(REDACTED, text)
        count += found
    for pattern in (_BEARER, _ASSIGNED_SECRET):
        text, found = pattern.subn(lambda m: m.group(1) + REDACTED, text)
        count += found
    text, found = _URL_PASSWORD.subn(lambda m: m.group(1) + REDACTED + m.group(2), text)
    return text, count + found
