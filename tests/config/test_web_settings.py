"""The web settings display_timezone and trusted_proxies: defaults, and a bad value stops the start naming the
file, the field and the problem."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from config import ConfigError, Settings, load_config


def _load(tmp_path: Path, lines: str) -> Settings:
    path = tmp_path / "kiemtin.toml"
    path.write_text(f"[settings]\n{lines}\n", encoding="utf-8")
    return load_config(path).settings


def test_defaults_show_vietnam_time_and_trust_no_proxy() -> None:
    settings = Settings()
    assert settings.display_timezone == "Asia/Ho_Chi_Minh"
    assert settings.display_zone.key == "Asia/Ho_Chi_Minh"
    assert settings.trusted_proxies == []


def test_good_values_load_and_networks_are_normalised(tmp_path: Path) -> None:
    settings = _load(tmp_path, 'display_timezone = " Europe/Berlin "\n'
                               'trusted_proxies = ["10.0.0.0/8", "192.0.2.1", "2001:DB8::/32", "::1"]')
    assert settings.display_timezone == "Europe/Berlin"
    assert settings.trusted_proxies == ["10.0.0.0/8", "192.0.2.1/32", "2001:db8::/32", "::1/128"]


@pytest.mark.parametrize(("line", "expected"), [
    ('display_timezone = "Asia/Hanoi"', r"settings\.display_timezone: unknown time zone 'Asia/Hanoi'"),
    ('display_timezone = "ICT"', r"settings\.display_timezone: unknown time zone 'ICT': use an IANA name"),
    ('display_timezone = ""', r"settings\.display_timezone: unknown time zone ''"),
    ('display_timezone = "../../etc/passwd"', r"settings\.display_timezone: unknown time zone"),
    ('trusted_proxies = ["10.0.0.1/8"]', r"settings\.trusted_proxies: '10\.0\.0\.1/8' is not an IP address"),
    ('trusted_proxies = ["proxy.internal"]', r"settings\.trusted_proxies: 'proxy\.internal' is not an IP"),
    ('trusted_proxies = "10.0.0.1"', r"settings\.trusted_proxies: .*valid list"),
])
def test_bad_web_settings_name_file_field_and_problem(tmp_path: Path, line: str, expected: str) -> None:
    with pytest.raises(ConfigError, match=expected) as info:
        _load(tmp_path, line)
    assert str(tmp_path / "kiemtin.toml") in str(info.value)


def test_assignment_is_validated_too() -> None:
    settings = Settings()
    with pytest.raises(ValidationError, match="unknown time zone 'Mars/Olympus_Mons'"):
        settings.display_timezone = "Mars/Olympus_Mons"
    assert settings.display_timezone == "Asia/Ho_Chi_Minh"


def test_the_example_config_documents_both_and_its_values_load(tmp_path: Path) -> None:
    """kiemtin.example.toml shows them commented out; uncommented, they are valid settings."""
    example = (Path(__file__).resolve().parents[2] / "kiemtin.example.toml").read_text(encoding="utf-8")
    lines = example.splitlines()
    for name in ("display_timezone", "trusted_proxies"):
        assert sum(line.startswith(f"# {name} = ") for line in lines) == 1, name
    uncommented = "\n".join(line[2:] if line.startswith(("# display_timezone = ", "# trusted_proxies = ")) else line
                            for line in lines)
    path = tmp_path / "kiemtin.toml"
    path.write_text(uncommented, encoding="utf-8")
    settings = load_config(path).settings
    assert settings.display_timezone == "Asia/Ho_Chi_Minh"
    assert settings.trusted_proxies == ["127.0.0.1/32"]
