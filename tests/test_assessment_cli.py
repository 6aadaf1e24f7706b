"""`ai-strategy assess` through the real command (typer's runner, and a real terminal)."""

import io
import json
import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput
from rich.console import Console
from typer.testing import CliRunner

from bot.assessment.interview import ask_in_terminal
from bot.cli import app
from tests.test_assessment import CONTRADICTORY

RUNNER = CliRunner()
REPORT_KEYS = [
    "recommendation",
    "confidence",
    "factors",
    "counterfactual",
    "next_steps",
    "citations",
]


@pytest.fixture
def index_options(indexed_settings) -> list[str]:
    return [
        "--knowledge-dir",
        str(indexed_settings.knowledge_dir),
        "--data-dir",
        str(indexed_settings.data_dir),
    ]


def write_answers(folder: Path, answers: object) -> str:
    path = folder / "answers.json"
    path.write_text(json.dumps(answers), encoding="utf-8")
    return str(path)


def test_json_report(tmp_path, index_options):
    result = RUNNER.invoke(
        app,
        ["assess", "--answers", write_answers(tmp_path, CONTRADICTORY), "--json", *index_options],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert list(report) == REPORT_KEYS
    assert report["recommendation"] == "hybrid"
    assert 0 <= report["confidence"] <= 1
    assert 3 <= len(report["next_steps"]) <= 5
    factor = report["factors"][0]
    assert {"field", "value", "direction", "strength", "explanation", "citation"} <= set(factor)
    assert {"doc", "title", "section", "text", "url"} <= set(factor["citation"])
    assert report["counterfactual"]["outcome"] != "hybrid"
    assert report["counterfactual"]["changes"][0]["field"] in CONTRADICTORY
    assert factor["citation"] in report["citations"]


def test_answers_from_standard_input(index_options):
    result = RUNNER.invoke(
        app, ["assess", "--answers", "-", "--json", *index_options], input=json.dumps(CONTRADICTORY)
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["recommendation"] == "hybrid"


def test_readable_rendering(tmp_path, index_options):
    answers = CONTRADICTORY | {
        "labeled_data": "thousands",
        "ml_expertise": "strong",
        "budget": "high",
        "timeline": "months",
    }
    result = RUNNER.invoke(
        app, ["assess", "--answers", write_answers(tmp_path, answers), *index_options]
    )
    assert result.exit_code == 0, result.output
    out = result.stdout
    for heading in (
        "Recommendation",
        "How each answer weighs",
        "What would change it",
        "Next steps",
        "Sources",
    ):
        assert heading in out
    assert "Fine-tuning" in out and "[1]" in out
    assert "Labeled data: Thousands of examples or more" in out


INVALID = [
    pytest.param(
        {k: v for k, v in CONTRADICTORY.items() if k != "domain"},
        ["domain: missing; allowed values: general, specialized, highly_specialized"],
        id="missing field",
    ),
    pytest.param(
        CONTRADICTORY | {"labeled_data": "lots"},
        ["labeled_data: 'lots' is not allowed; allowed values: none, hundreds, thousands"],
        id="unknown value",
    ),
    pytest.param(
        CONTRADICTORY | {"budget": 5000, "sensitive_data": "maybe"},
        [
            "sensitive_data: 'maybe' is not allowed; allowed values: false, true",
            "budget: got the number 5000, expected one of the values; "
            "allowed values: low, medium, high",
        ],
        id="wrong types",
    ),
    pytest.param(
        ["general", "none"],
        ["answers: got a list, expected a JSON object with the fields use_case, domain,"],
        id="not an object",
    ),
]


@pytest.mark.parametrize(("answers", "problems"), INVALID)
def test_invalid_answers_exit_2_naming_field_and_values(tmp_path, answers, problems):
    # No index is needed to reject answers: this runs in an empty folder.
    result = RUNNER.invoke(app, ["assess", "--answers", write_answers(tmp_path, answers), "--json"])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == len(problems)
    for line, problem in zip(lines, problems, strict=True):
        assert line.startswith(f"error: {problem}")
    assert result.stdout == "" and "Traceback" not in result.output


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("{not json", "error: answers: not valid JSON (Expecting property name"),
        ("", "error: answers: not valid JSON"),
        (None, "error: --answers: cannot read"),
    ],
    ids=["invalid JSON", "empty file", "no such file"],
)
def test_unreadable_answers_exit_2(tmp_path, content, expected):
    path = tmp_path / "answers.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    result = RUNNER.invoke(app, ["assess", "--answers", str(path)])
    assert result.exit_code == 2
    assert result.stderr.startswith(expected) and "Traceback" not in result.output


def test_a_folder_is_not_an_answers_file(tmp_path):
    result = RUNNER.invoke(app, ["assess", "--answers", str(tmp_path)])
    assert result.exit_code == 2
    assert "Is a directory" in result.stderr and "Traceback" not in result.output


def test_without_an_index_it_says_to_ingest(tmp_path):
    result = RUNNER.invoke(
        app,
        [
            "assess",
            "--answers",
            write_answers(tmp_path, CONTRADICTORY),
            "--data-dir",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 1
    assert "ai-strategy ingest" in result.stderr and "Traceback" not in result.output


def test_numbered_prompts_when_not_a_terminal(index_options):
    # use case, then domain 3, accuracy 3, output style default, volume default, change default,
    # sensitive 2 (Yes), labeled data: a wrong answer first, then "none"; then defaults, and
    # expertise 1 (None).
    lines = ["Discharge summaries", "3", "3", "", "", "", "2", "many", "none", "1", "1", "1"]
    result = RUNNER.invoke(app, ["assess", "--json", *index_options], input="\n".join(lines) + "\n")
    assert result.exit_code == 0, result.output
    assert "Step 1 of 3: The task" in result.stderr
    assert "1) General: everyday language and knowledge (default)" in result.stderr
    assert "Type a number from the list, or one of: none, hundreds, thousands." in result.stderr
    report = json.loads(result.stdout)
    assert report["recommendation"] == "hybrid"
    values = {factor["field"]: factor["value"] for factor in report["factors"]}
    assert values["domain"] == "highly_specialized" and values["sensitive_data"] == "true"
    assert values["ml_expertise"] == "none" and values["timeline"] == "days"


def test_input_that_ends_early_exits_2(index_options):
    result = RUNNER.invoke(app, ["assess", *index_options], input="\n2\n")
    assert result.exit_code == 2
    assert "error: accuracy: no answer (the input ended)" in result.stderr


def test_terminal_selects_take_arrows_numbers_and_defaults():
    with create_pipe_input() as keys:
        # use case typed; domain by number 2; accuracy by arrow down; the rest: the defaults.
        keys.send_text("Shop assistant\r" + "2" + "\r" + "\x1b[B\r" + "\r" * 8)
        answers = ask_in_terminal(
            console=Console(file=io.StringIO()), input=keys, output=DummyOutput()
        )
    assert answers.use_case == "Shop assistant"
    assert (answers.domain, answers.accuracy) == ("specialized", "critical")
    assert (answers.labeled_data, answers.timeline, answers.sensitive_data) == (
        "none",
        "weeks",
        False,
    )


def test_ctrl_c_in_a_select_interrupts():
    with create_pipe_input() as keys:
        keys.send_text("\r\x03")
        with pytest.raises(KeyboardInterrupt):
            ask_in_terminal(console=Console(file=io.StringIO()), input=keys, output=DummyOutput())


def read_until(fd: int, marker: bytes, timeout: float) -> bytes:
    seen = b""
    deadline = time.monotonic() + timeout
    while marker not in seen and time.monotonic() < deadline:
        if select.select([fd], [], [], 0.2)[0]:
            try:
                seen += os.read(fd, 4096)
            except OSError:
                break
    return seen


def test_ctrl_c_in_a_real_terminal_exits_130_without_traceback(indexed_settings):
    leader, follower = pty.openpty()
    environment = {**os.environ, "TERM": "xterm", "COLUMNS": "100", "LINES": "40"}
    process = subprocess.Popen(  # a real terminal: questionary selects, real Ctrl-C
        [
            sys.executable,
            "-c",
            "from bot.cli import main; main()",
            "assess",
            "--data-dir",
            str(indexed_settings.data_dir),
        ],
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env=environment,
        close_fds=True,
    )
    os.close(follower)
    try:
        assert b"Use case" in read_until(leader, b"Use case", 20)
        os.write(leader, b"\r")
        assert b"Domain" in read_until(leader, b"Domain", 10)
        os.write(leader, b"\x03")
        process.wait(timeout=10)
        rest = read_until(leader, b"cancelled", 2)
    finally:
        process.kill()
        os.close(leader)
    assert process.returncode == 130
    assert b"Traceback" not in rest
