"""Every broken template in tests/data/templates/invalid/ gives exactly its golden messages.

Each case folder holds the template files and `expected.txt`, the problems as `stockform
check` prints them (paths relative to the folder). Regenerate after an intended change with
STOCKFORM_UPDATE_GOLDEN=1 and read the diff.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from stockform.spec.template import check_template

CASES = sorted(
    p for p in (Path(__file__).parents[1] / "data/templates/invalid").iterdir() if p.is_dir()
)


def test_there_are_enough_cases() -> None:
    assert len(CASES) >= 40


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_invalid_template_messages(case: Path) -> None:
    template, issues = check_template(case)
    text = "".join(f"{issue}\n" for issue in issues)
    golden = case / "expected.txt"
    if os.environ.get("STOCKFORM_UPDATE_GOLDEN"):
        golden.write_text(text, encoding="utf-8")
    assert template is None
    assert issues, "a broken template must report at least one problem"
    assert text == golden.read_text(encoding="utf-8")


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_issues_are_located_and_sorted(case: Path) -> None:
    _template, issues = check_template(case)
    keys = [(i.file, i.line, i.col) for i in issues]
    assert keys == sorted(keys)
    for issue in issues:
        assert issue.line >= 1 and issue.col >= 1, issue
        assert (case / issue.file).is_file(), issue
