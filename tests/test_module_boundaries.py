"""Which modules a module loads: the boundaries that keep the layers apart and imports cheap."""

import subprocess
import sys

import pytest

NEVER = {
    "ingest.store": {"ingest.server_store", "ingest.stores"},  # no store imports the other
    "ingest.server_store": {"ingest.stores"},
    "bot.slack.ops": {"bot.slack.app"},  # the routes take what they serve, not the app
    "bot.slack.metrics": {"bot.slack.app", "bot.slack.ops"},
    "common.options": {"ingest", "bot"},  # the shared home knows neither part
    "common.logs": {"ingest", "bot"},
    "ingest.cli": {"bot"},  # ingest knows nothing of the bot
    "ingest.outcomes": {"chromadb", "ingest.pipeline", "ingest.index"},
    "bot.slack.app": {"ingest.pipeline"},  # the Slack layer runs an ingest only when asked
}
LIST_MODULES = "import importlib, sys; importlib.import_module(sys.argv[1]); print(*sys.modules)"


@pytest.fixture(scope="module")
def loaded() -> dict[str, set[str]]:
    """The modules a fresh interpreter holds after importing each module of NEVER. The
    interpreters run side by side: each spends up to two seconds importing."""
    running = {
        module: subprocess.Popen(
            [sys.executable, "-c", LIST_MODULES, module], stdout=subprocess.PIPE, text=True
        )
        for module in NEVER
    }
    held = {}
    for module, process in running.items():
        output, _ = process.communicate(timeout=120)
        assert process.returncode == 0, f"importing {module} failed"
        held[module] = set(output.split())
    return held


@pytest.mark.parametrize("module", NEVER)
def test_a_module_does_not_load_what_it_must_not(loaded, module):
    assert module in loaded[module]  # the listing is of the right interpreter
    assert not loaded[module] & NEVER[module]
