"""Settings: defaults, config file, environment and overrides, in that order."""

from __future__ import annotations

from pathlib import Path

import pytest

from stockform.settings import SettingsError, load_settings


def test_defaults_put_sqlite_in_the_instance_folder(tmp_path: Path) -> None:
    values = load_settings(env={"STOCKFORM_INSTANCE_PATH": str(tmp_path), "STOCKFORM_CONFIG": ""})
    assert values["DATABASE_URL"] == f"sqlite:///{tmp_path.resolve() / 'stockform.db'}"
    assert values["PORT"] == 5000
    assert values["TEMPLATE"].endswith("templates_lib/retail")


def test_file_then_environment_then_overrides(tmp_path: Path) -> None:
    config = tmp_path / "s.toml"
    config.write_text('port = 6000\ntimezone = "Asia/Shanghai"\nhost = "0.0.0.0"\n')
    env = {"STOCKFORM_CONFIG": str(config), "STOCKFORM_PORT": "7000"}
    values = load_settings({"HOST": "10.0.0.1"}, env=env)
    assert values["PORT"] == 7000
    assert values["TIMEZONE"] == "Asia/Shanghai"
    assert values["HOST"] == "10.0.0.1"


@pytest.mark.parametrize(
    ("toml", "env", "message"),
    [
        ("prot = 1\n", {}, "unknown setting 'prot' (did you mean 'port'?)"),
        ("port = [\n", {}, "s.toml: "),
        ("", {"STOCKFORM_PORT": "eighty"}, "PORT must be a number, not 'eighty'"),
        ("", {"STOCKFORM_PORT": "70000"}, "PORT must be between 1 and 65535, not 70000"),
        ("", {"STOCKFORM_DEMO": "perhaps"}, "expected true or false, not 'perhaps'"),
    ],
)
def test_bad_settings_say_what_and_where(
    tmp_path: Path, toml: str, env: dict[str, str], message: str
) -> None:
    config = tmp_path / "s.toml"
    config.write_text(toml)
    with pytest.raises(SettingsError) as raised:
        load_settings(env={"STOCKFORM_CONFIG": str(config), **env})
    assert message in str(raised.value)


def test_a_named_config_file_must_exist(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings(env={"STOCKFORM_CONFIG": str(tmp_path / "missing.toml")})
    assert "does not exist" in str(raised.value)
