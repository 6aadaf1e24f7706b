"""Every command turns a bad setting, a bad path or an unreachable server into one message
naming it, with the documented exit status, never a traceback (issue 12, item 7)."""

import io
import json
import socket
import sys
import time

import pytest

from bot.cli import main


def run(monkeypatch, capsys, *args: str, stdin: bytes | None = None) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["ai-strategy", *args])
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8"))
    with pytest.raises(SystemExit) as exited:
        main()
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return exited.value.code, out, err


@pytest.mark.parametrize(
    "command",
    [["search", "fine-tuning"], ["ask", "hi"], ["ingest"], ["feedback"], ["db", "upgrade"]],
)
def test_an_invalid_setting_is_named_with_exit_2(monkeypatch, capsys, command):
    monkeypatch.setenv("CHROMA_PORT", "abc")
    code, _, err = run(monkeypatch, capsys, *command)
    assert code == 2 and "CHROMA_PORT='abc'" in err and "valid integer" in err


@pytest.mark.parametrize(
    "command", [["search", "x"], ["ask", "x"], ["assess", "--answers", "-"], ["feedback"]]
)
def test_a_data_dir_that_is_a_file_is_named(monkeypatch, capsys, tmp_path, command):
    (tmp_path / "data").write_text("not a folder")
    code, _, err = run(monkeypatch, capsys, *command, "--data-dir", str(tmp_path / "data"))
    assert code == 2 and "AI_STRATEGY_DATA_DIR" in err and "is a file, not a folder" in err


def test_slack_api_url_must_be_a_url(monkeypatch, capsys):
    monkeypatch.setenv("SLACK_API_URL", "notaurl")
    code, _, err = run(monkeypatch, capsys, "serve")
    assert code == 2 and "SLACK_API_URL='notaurl'" in err


@pytest.mark.parametrize("command", [["search", "fine-tuning"], ["ask", "hi"], ["ingest"]])
def test_a_closed_chroma_port_is_one_message(monkeypatch, capsys, tmp_path, command):
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    monkeypatch.setenv("CHROMA_HOST", "127.0.0.1")
    monkeypatch.setenv("CHROMA_PORT", str(port))
    code, _, err = run(monkeypatch, capsys, *command, "--data-dir", str(tmp_path / "data"))
    err = " ".join(err.split())
    assert code == 1 and f"127.0.0.1:{port} cannot be reached" in err
    assert err.count("Chroma server") == 1


def test_a_chroma_server_that_never_answers_times_out_with_a_message(monkeypatch, capsys):
    silent = socket.socket()  # accepts connections (the kernel's backlog) and never answers
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    monkeypatch.setenv("CHROMA_HOST", "127.0.0.1")
    monkeypatch.setenv("CHROMA_PORT", str(silent.getsockname()[1]))
    monkeypatch.setenv("AI_STRATEGY_CHROMA_TIMEOUT_SECONDS", "0.3")
    started = time.monotonic()
    try:
        code, _, err = run(monkeypatch, capsys, "search", "fine-tuning")
    finally:
        silent.close()
    assert code == 1 and "did not answer in time" in err
    assert time.monotonic() - started < 30


def test_deeply_nested_answers_json_is_an_invalid_input_exit_2(monkeypatch, capsys, tmp_path):
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    code, _, err = run(monkeypatch, capsys, "assess", "--answers", str(deep))
    assert code == 2 and "nested too deeply" in err


@pytest.mark.slow
def test_a_latin1_line_in_ask_json_is_reported_and_the_rest_answered(
    monkeypatch, capsys, indexed_settings
):
    lines = b"How much data does fine-tuning need?\nCaf\xe9 cr\xe8me?\nIs prompting cheaper?\n"
    code, out, _ = run(
        monkeypatch, capsys, "ask", "--json", "-",
        "--data-dir", str(indexed_settings.data_dir),
        "--knowledge-dir", str(indexed_settings.knowledge_dir),
        stdin=lines,
    )  # fmt: skip
    results = [json.loads(line) for line in out.splitlines()]
    assert code == 1
    assert [("error" in r) for r in results] == [False, True, False]
    assert "line 2" in results[1]["error"] and "UTF-8" in results[1]["error"]
