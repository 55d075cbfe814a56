"""The README keeps up with the code: every setting and every command is documented."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer.main

from config import Settings, load_config
from pipeline import app

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _commands(group: object, prefix: str = "kiemtin") -> list[str]:
    subcommands = getattr(group, "commands", None)
    if subcommands:
        return [name for sub_name, sub in subcommands.items() for name in _commands(sub, f"{prefix} {sub_name}")]
    return [prefix]


@pytest.mark.parametrize("setting", sorted(Settings.model_fields))
def test_every_setting_is_in_the_readme(setting: str) -> None:
    assert f"`{setting}`" in README


@pytest.mark.parametrize("command", _commands(typer.main.get_command(app)))
def test_every_command_is_in_the_readme(command: str) -> None:
    assert f"`{command}" in README, f"README lacks {command}"


def test_example_config_is_valid() -> None:
    config = load_config(ROOT / "kiemtin.example.toml")
    assert config.sources
