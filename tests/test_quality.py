"""Lint, types and the layering of DESIGN.md are part of the suite, so CI enforces them."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
BIN = Path(sys.executable).parent


def run(*command: str) -> subprocess.CompletedProcess[str]:
    tool = BIN / command[0]
    if not tool.exists() and shutil.which(command[0]) is None:
        pytest.fail(
            f"{command[0]} is not installed; install the test extras: pip install -e '.[test]'"
        )
    exe = str(tool) if tool.exists() else command[0]
    return subprocess.run(
        [exe, *command[1:]], cwd=ROOT, capture_output=True, text=True, timeout=300
    )


def test_ruff_finds_nothing() -> None:
    result = run("ruff", "check", "--output-format", "concise", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_is_clean() -> None:
    result = run("ruff", "format", "--check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_on_the_core() -> None:
    result = run("mypy", "--cache-dir", "/tmp/stockform-mypy-cache")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_layers_of_design_md_hold() -> None:
    result = run("lint-imports", "--no-cache")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_source_folder_never_shadows_the_standard_library() -> None:
    assert not (ROOT / "platform" / "__init__.py").exists()
    import platform

    assert hasattr(platform, "python_version")


def test_importing_the_core_does_not_load_flask() -> None:
    code = (
        "import sys, stockform, stockform.spec.template, stockform.settings; "
        "sys.exit(1 if 'flask' in sys.modules else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT).returncode == 0
