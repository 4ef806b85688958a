"""Settings: config/default.toml documents exactly the built-in defaults; bad keys are named."""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path

import pytest

from crawler.errors import ConfigError
from crawler.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parents[1]


def test_default_toml_is_identical_to_built_in_defaults() -> None:
    documented = tomllib.loads((ROOT / "config" / "default.toml").read_text(encoding="utf-8"))
    defaults = {f.name: f.default for f in dataclasses.fields(Settings)}
    assert set(documented) == set(defaults)
    for name, value in documented.items():
        expected = defaults[name]
        assert (tuple(value) if isinstance(value, list) else value) == expected, name
    assert load_settings(ROOT / "config" / "default.toml") == Settings()


def test_every_setting_has_help() -> None:
    assert all(f.metadata.get("help") for f in dataclasses.fields(Settings))


def test_file_then_flags_override_defaults(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('concurrency = 3\nper_host = 1\nconnect_to = ["::127.0.0.1:9"]\n', encoding="utf-8")
    settings = load_settings(config, {"per_host": 4, "delay_s": None})
    assert (settings.concurrency, settings.per_host, settings.connect_to) == (3, 4, ("::127.0.0.1:9",))


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("concurency = 3\n", "concurency"),
        ('concurrency = "many"\n', "concurrency"),
        ("concurrency = 0\n", "concurrency"),
        ("allow_private_networks = 1\n", "allow_private_networks"),
        ('connect_to = ["nonsense"]\n', "nonsense"),
        ('progress = "loud"\n', "progress"),
        ("delay_s = -1\n", "delay_s"),
        ("not toml at all [\n", "not valid TOML"),
    ],
)
def test_wrong_key_or_value_is_a_clear_error(tmp_path: Path, text: str, named: str) -> None:
    config = tmp_path / "bad.toml"
    config.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=named):
        load_settings(config)


def test_missing_config_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_settings(tmp_path / "absent.toml")
