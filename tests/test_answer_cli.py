"""`ai-strategy ask` and `ai-strategy eval`, driven through typer's test runner."""

import json
import re

from typer.testing import CliRunner

from bot.cli import app

runner = CliRunner()


def folders(settings) -> list[str]:
    return ["--knowledge-dir", str(settings.knowledge_dir), "--data-dir", str(settings.data_dir)]


def test_ask_json_prints_one_object_with_the_documented_keys(indexed_settings):
    result = runner.invoke(
        app, ["ask", "How much data does fine-tuning need?", "--json", *folders(indexed_settings)]
    )
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert set(answer) == {"answer", "grounded", "citations", "intent", "verdict", "intake"}
    assert answer["intent"] == "fact" and answer["verdict"] is None and answer["intake"] == {}
    assert answer["grounded"] and answer["citations"]
    assert set(answer["citations"][0]) == {"n", "doc", "title", "section", "text", "trust"}


def test_ask_reads_questions_from_stdin_one_json_line_each(indexed_settings):
    questions = "What is prompt engineering?\n\nWhat is the capital of France?\n"
    result = runner.invoke(app, ["ask", "--json", "-", *folders(indexed_settings)], input=questions)
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["grounded"] for line in lines] == [True, False]
    assert lines[1]["citations"] == []


def test_ask_is_readable_by_default(indexed_settings):
    result = runner.invoke(app, ["ask", "What is prompt engineering?", *folders(indexed_settings)])
    assert result.exit_code == 0, result.output
    assert "Sources:" in result.stdout and "[1] " in result.stdout


def test_ask_without_an_index_says_so(tmp_path):
    result = runner.invoke(
        app, ["ask", "What is prompt engineering?", "--data-dir", str(tmp_path / "empty")]
    )
    assert result.exit_code == 1
    assert "ai-strategy ingest" in result.output and "Traceback" not in result.output


def test_eval_reports_retrieval_citations_declines_and_latency(indexed_settings, tmp_path):
    questions = tmp_path / "questions.jsonl"
    questions.write_text(
        "\n".join(
            json.dumps(line)
            for line in [
                {
                    "id": "q1",
                    "question": "How much data does fine-tuning need?",
                    "docs": [
                        "latitude-fine-tuning-vs-prompt-engineering",
                        "rejolut-prompt-engineering-vs-fine-tuning",
                    ],
                    "evidence": ["large dataset", "requires additional data"],
                },
                {"id": "q2", "question": "What is the best pizza topping?", "out_of_scope": True},
            ]
        )
    )
    result = runner.invoke(app, ["eval", "--questions", str(questions), *folders(indexed_settings)])
    assert result.exit_code == 0, result.output
    for expected in (
        "recall@5",
        "dense",
        "bm25",
        "hybrid",
        "citation hit rate   1.000",
        "decline accuracy    1.000",
        "p95",
    ):
        assert expected in result.stdout
    as_json = runner.invoke(
        app,
        [
            "eval",
            "--questions",
            str(questions),
            "--retriever",
            "hybrid",
            "--json",
            *folders(indexed_settings),
        ],
    )
    report = json.loads(as_json.stdout)
    assert [score["mode"] for score in report["retrieval"]] == ["hybrid"]
    assert report["citation_hit_rate"] == 1.0 and set(report["latency_ms"]) == {"p50", "p95", "max"}


def test_eval_without_a_question_file_says_so(indexed_settings, tmp_path):
    result = runner.invoke(
        app, ["eval", "--questions", str(tmp_path / "missing.jsonl"), *folders(indexed_settings)]
    )
    assert result.exit_code == 1 and "--questions" in result.output


def test_ask_reads_json_lines_with_history_and_names_bad_lines(indexed_settings):
    lines = "\n".join(
        [
            json.dumps(
                {
                    "question": "and prompt engineering?",
                    "history": ["What skills does fine-tuning need?"],
                }
            ),
            "{not json",
            json.dumps({"question": "Which approach is cheaper to get started with?"}),
        ]
    )
    result = runner.invoke(app, ["ask", "--json", "-", *folders(indexed_settings)], input=lines)
    assert result.exit_code == 1  # one line could not be read; the others were answered
    first, bad, third = [json.loads(line) for line in result.stdout.splitlines()]
    assert first["grounded"] and "prompt engineering" in first["answer"].lower()
    assert re.search(r"skill|expertise|knowledge", first["answer"], re.IGNORECASE)
    assert set(bad) == {"error"} and bad["error"].startswith("line 2:")
    assert third["intent"] == "which" and third["verdict"] == "prompt_engineering"


def test_eval_reports_key_points_verdicts_and_declines_on_realistic_questions(
    indexed_settings, tmp_path
):
    questions = tmp_path / "realistic.jsonl"
    questions.write_text(
        "\n".join(
            json.dumps(line)
            for line in [
                {
                    "id": "r1",
                    "kind": "which",
                    "question": "Which approach costs less up front?",
                    "verdict": ["prompt_engineering"],
                    "key": ["low upfront", "lower initial", "minimal setup"],
                },
                {
                    "id": "r2",
                    "kind": "followup",
                    "history": ["What are the risks of fine-tuning?"],
                    "question": "and of prompt engineering?",
                    "key": ["token", "depends on the quality", "costs can rise"],
                },
                {"id": "r3", "question": "How do I fix a flat bicycle tyre?"},
            ]
        )
    )
    result = runner.invoke(
        app, ["eval", "--questions", str(questions), "--json", *folders(indexed_settings)]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["key_point"] == [2, 2] and report["verdict_first"] == [1, 1]
    assert report["wrongly_declined"] == [] and report["answered_out_of_scope"] == []
    assert report["out_of_scope"] == 1
