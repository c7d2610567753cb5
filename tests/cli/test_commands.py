"""The stockform command: check, templates, new and serve."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from stockform.cli import main
from stockform.paths import STARTERS

INVALID = Path(__file__).parents[1] / "data/templates/invalid"


def test_check_a_good_template_prints_one_summary_line(runner: CliRunner) -> None:
    result = runner.invoke(main, ["check", str(STARTERS / "minimal")])
    assert result.exit_code == 0
    assert result.output.count("\n") == 1
    assert result.output.startswith("ok: template 'minimal' version 1:")


def test_check_a_broken_template_lists_every_problem(runner: CliRunner) -> None:
    folder = INVALID / "many_problems_in_many_files"
    result = runner.invoke(main, ["check", str(folder)])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert len(lines) == 3
    assert all(line.startswith(str(folder) + "/") for line in lines)
    assert "3 problems in" in result.stderr


def test_check_json_lists_located_problems(runner: CliRunner) -> None:
    folder = INVALID / "unknown_field_type"
    result = runner.invoke(main, ["check", "--format", "json", str(folder)])
    assert result.exit_code == 1
    problems = json.loads(result.stdout)
    assert [sorted(p) for p in problems] == [["col", "file", "hint", "line", "message", "path"]]
    assert problems[0]["file"] == str(folder / "forms.yaml")
    assert problems[0]["path"] == "forms.receipt.fields.supplier.type"
    assert problems[0]["hint"] == "did you mean 'text'?"


def test_check_json_on_a_good_template_is_an_empty_list(runner: CliRunner) -> None:
    result = runner.invoke(main, ["check", "--format", "json", str(STARTERS / "minimal")])
    assert result.exit_code == 0
    assert json.loads(result.stdout) == []


def test_templates_lists_starters_with_a_description(runner: CliRunner) -> None:
    result = runner.invoke(main, ["templates"])
    assert result.exit_code == 0
    assert any(
        line.startswith("minimal ") and "warehouse" in line.lower()
        for line in result.output.splitlines()
    )


def test_new_copies_a_starter_that_then_passes_the_check(runner: CliRunner, tmp_path: Path) -> None:
    target = tmp_path / "myshop"
    result = runner.invoke(main, ["new", str(target), "--from", "minimal"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in target.iterdir()) == sorted(
        p.name for p in (STARTERS / "minimal").iterdir()
    )
    assert runner.invoke(main, ["check", str(target)]).exit_code == 0


def test_new_refuses_a_folder_that_is_not_empty(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    result = runner.invoke(main, ["new", str(tmp_path), "--from", "minimal"])
    assert result.exit_code == 1
    assert "is not empty" in result.output
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


def test_new_with_an_unknown_starter_suggests_one(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(main, ["new", str(tmp_path / "x"), "--from", "minimall"])
    assert result.exit_code == 1
    assert "no starter template 'minimall' (did you mean 'minimal'?)" in result.output
    assert not (tmp_path / "x").exists()


def test_serve_refuses_a_broken_template(runner: CliRunner) -> None:
    folder = INVALID / "unknown_workflow"
    result = runner.invoke(main, ["serve", "--template", str(folder)])
    assert result.exit_code == 1
    assert "unknown workflow 'order_flw'" in result.output
    assert "not starting" in result.output


def test_serve_prints_its_url_and_runs_the_app(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started = {}

    def fake_run_simple(host: str, port: int, app: object, **kwargs: object) -> None:
        # Stand in for the blocking server, but prove the app it was given really serves.
        client = app.test_client()  # type: ignore[attr-defined]
        started.update(host=host, port=port, status=client.get("/healthz").status_code)

    monkeypatch.setattr("werkzeug.serving.run_simple", fake_run_simple)
    monkeypatch.setenv("STOCKFORM_INSTANCE_PATH", str(tmp_path))
    result = runner.invoke(main, ["serve", "--port", "5123"])
    assert result.exit_code == 0, result.output
    assert "http://127.0.0.1:5123" in result.output
    first = result.output.splitlines()[1]
    assert first.startswith("sign in as admin, password ")
    again = runner.invoke(main, ["serve", "--port", "5123"])
    assert again.output.splitlines()[1] == first  # the same login on every start
    assert started == {"host": "127.0.0.1", "port": 5123, "status": 200}
