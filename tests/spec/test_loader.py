"""Reading YAML safely: limits, locations, merging across files, and no crash on any input."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stockform.paths import STARTERS
from stockform.spec import loader
from stockform.spec.issues import TemplateError
from stockform.spec.template import check_template, load_template


def write(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def test_a_file_over_the_size_limit_is_refused(tmp_path: Path) -> None:
    big = "roles:\n" + "".join(f"  role{i}: {{}}\n" for i in range(loader.MAX_FILE_BYTES // 10))
    write(tmp_path, {"big.yaml": big})
    _template, issues = check_template(tmp_path)
    assert [str(i) for i in issues] == [
        f"big.yaml:1:1  (file): file is {len(big.encode()):,} bytes; the limit is "
        f"{loader.MAX_FILE_BYTES:,} (split it into several files)"
    ]


def test_an_empty_folder_says_so(tmp_path: Path) -> None:
    _template, issues = check_template(tmp_path)
    assert [i.message for i in issues] == ["no *.yaml files in this folder"]


def test_a_missing_folder_says_so(tmp_path: Path) -> None:
    _template, issues = check_template(tmp_path / "nope")
    assert [i.message for i in issues] == ["not a template folder"]


def test_locations_are_one_based_and_point_at_the_value(tmp_path: Path) -> None:
    write(tmp_path, {"a.yaml": "template:\n  id: x\n  name: X\n  version: 1\n  format: 1\n"})
    data = loader.load_folder(tmp_path)
    assert data.source.at(("template", "version")) == ("a.yaml", 4, 12)
    assert data.source.at(("template", "version"), key=True) == ("a.yaml", 4, 3)
    assert data.source.at(("template", "nothing", "deeper")) == ("a.yaml", 2, 3)


def test_numbers_are_exact_and_only_true_false_are_booleans(tmp_path: Path) -> None:
    write(tmp_path, {"a.yaml": "a: 0.1\nb: 'no'\nc: no\nd: NO\ne: true\nf: 1_000\n"})
    data = loader.load_folder(tmp_path).data
    from decimal import Decimal

    assert data == {"a": Decimal("0.1"), "b": "no", "c": "no", "d": "NO", "e": True, "f": 1000}


def test_merge_keys_fill_in_without_overriding(tmp_path: Path) -> None:
    write(tmp_path, {"a.yaml": "base: &b {x: 1, y: 2}\nitem:\n  <<: *b\n  y: 3\n"})
    data = loader.load_folder(tmp_path).data
    assert data["item"] == {"x": 1, "y": 3}


def test_sections_merge_across_files(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "a.yaml": "forms:\n  one: {label: One}\nstock:\n  buckets:\n    available: {}\n",
            "b.yaml": "forms:\n  two: {label: Two}\nstock:\n  buckets:\n    locked: {}\n",
        },
    )
    data = loader.load_folder(tmp_path)
    assert data.issues == []
    assert list(data.data["forms"]) == ["one", "two"]
    assert list(data.data["stock"]["buckets"]) == ["available", "locked"]
    assert data.source.at(("forms", "two")) == ("b.yaml", 2, 8)


def test_load_template_raises_one_error_with_every_issue(tmp_path: Path) -> None:
    write(tmp_path, {"a.yaml": "template: {id: x}\nwarehouses: {}\nstock: {buckets: {}}\n"})
    with pytest.raises(TemplateError) as raised:
        load_template(tmp_path)
    assert len(raised.value.issues) >= 3
    assert str(raised.value).count("\n") == len(raised.value.issues) - 1


@pytest.mark.parametrize("starter", sorted(p.name for p in STARTERS.iterdir() if p.is_dir()))
def test_every_starter_template_passes_the_check(starter: str) -> None:
    from stockform.rules.functions import FUNCTIONS  # warnings may use the rules' functions

    template, issues = check_template(STARTERS / starter, FUNCTIONS)
    assert issues == []
    assert template is not None and template.info.id == starter


yaml_like = st.lists(
    st.sampled_from(list("abc:-[]{}&*!|>'\"#%@`,?\n \t0.1<") + ["  ", "- ", ": ", "*a", "&a "]),
    max_size=120,
).map("".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.one_of(yaml_like, st.text(max_size=200)))
def test_any_text_gives_a_template_or_template_issues(
    tmp_path_factory: pytest.TempPathFactory, text: str
) -> None:
    folder = tmp_path_factory.mktemp("fuzz")
    (folder / "t.yaml").write_text(text, encoding="utf-8")
    try:
        load_template(folder)
    except TemplateError as error:
        assert error.issues


MINIMAL = "\n".join(
    p.read_text(encoding="utf-8") for p in sorted((STARTERS / "minimal").glob("*.yaml"))
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    start=st.integers(0, len(MINIMAL)),
    length=st.integers(0, 40),
    insert=st.text(alphabet=st.sampled_from(list("ab_:-[]{}0. '\n()*<>=")), max_size=8),
)
def test_a_damaged_starter_gives_a_template_or_template_issues(
    tmp_path_factory: pytest.TempPathFactory, start: int, length: int, insert: str
) -> None:
    folder = tmp_path_factory.mktemp("damaged")
    text = MINIMAL[:start] + insert + MINIMAL[start + length :]
    (folder / "t.yaml").write_text(text, encoding="utf-8")
    try:
        load_template(folder)
    except TemplateError as error:
        assert error.issues


def test_an_empty_file_says_the_template_is_empty(tmp_path: Path) -> None:
    write(tmp_path, {"t.yaml": "# nothing yet\n"})
    _template, issues = check_template(tmp_path)
    assert [str(i) for i in issues] == [
        "t.yaml:1:1  (top): the template is empty (it needs at least the sections template, "
        "warehouses and stock)"
    ]
