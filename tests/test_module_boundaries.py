"""Which modules a module loads: the boundaries that keep the layers apart and imports cheap."""

import subprocess
import sys

import pytest


def loaded_after_import(module: str) -> set[str]:
    """The modules a fresh interpreter holds after importing `module`."""
    code = f"import sys, {module}; print('\\n'.join(sys.modules))"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    return set(result.stdout.split())


@pytest.mark.parametrize(
    ("module", "never"),
    [
        ("ingest.store", {"ingest.server_store", "ingest.stores"}),  # no store imports the other
        ("ingest.server_store", {"ingest.stores"}),
        ("bot.slack.ops", {"bot.slack.app"}),  # the routes take what they serve, not the app
        ("bot.slack.metrics", {"bot.slack.app", "bot.slack.ops"}),
        ("common.options", {"ingest", "bot"}),  # the shared home knows neither part
        ("common.logs", {"ingest", "bot"}),
        ("ingest.cli", {"bot"}),  # ingest knows nothing of the bot
        ("ingest.outcomes", {"chromadb", "ingest.pipeline", "ingest.index"}),
        ("bot.slack.app", {"ingest.pipeline"}),  # the Slack layer runs an ingest only when asked
    ],
)
def test_a_module_does_not_load_what_it_must_not(module, never):
    assert not loaded_after_import(module) & never
