"""A bad configuration fails at start naming the file, the field and the problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from config import ConfigError, IntervalSchedule, QuietHours, load_config, parse_schedule

GOOD = """
[settings]
database_url = "sqlite:///tmp/x.db"
threshold = 0.4

[[sources]]
name = "vnexpress"
kind = "rss"
url = "https://vnexpress.net/rss/tin-moi-nhat.rss"
schedule = "every 15m"
"""


def write(tmp_path: Path, text: str | bytes) -> Path:
    path = tmp_path / "kiemtin.toml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return path


def test_good_file_loads(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, GOOD))
    assert config.settings.threshold == 0.4
    assert config.sources[0].parsed_schedule == IntervalSchedule(900)


@pytest.mark.parametrize(("body", "expected"), [
    (GOOD.replace('url = "https', 'url = "ftp'), r"sources\[0\]\.url: must be an http"),
    (GOOD.replace('"every 15m"', '"every 0m"'), r"sources\[0\]\.schedule: interval .* too short"),
    (GOOD.replace('"every 15m"', '"cron 61 * * * *"'), r"sources\[0\]\.schedule: invalid cron"),
    (GOOD.replace('kind = "rss"', 'kind = "facebook"'), r"sources\[0\]: .*facebook"),
    (GOOD.replace("threshold = 0.4", "threshold = 4"), r"settings\.threshold: .*less than or equal to 1"),
    (GOOD.replace("threshold = 0.4", "treshold = 0.4"), r"settings\.treshold: Extra inputs"),
    (GOOD + "\n[[sources]]\nname = 'vnexpress'\nkind='rss'\nurl='https://a.vn/f'\n", r"used twice"),
    ("[settings\n", r"not valid TOML"),
])
def test_bad_file_names_file_field_and_problem(tmp_path: Path, body: str, expected: str) -> None:
    path = write(tmp_path, body)
    with pytest.raises(ConfigError, match=expected) as info:
        load_config(path)
    assert str(path) in str(info.value)


def test_non_utf8_file_is_refused_clearly(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_config(write(tmp_path, GOOD.encode("utf-16")))


def test_missing_named_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such configuration file"):
        load_config(tmp_path / "absent.toml")


def test_environment_overrides_database_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIEMTIN_DATABASE_URL", "postgresql://postgres@127.0.0.1/other")
    assert load_config(write(tmp_path, GOOD)).settings.database_url.endswith("/other")


def test_schedules_and_quiet_hours_parse() -> None:
    assert str(parse_schedule("every 2h")) == "every 2h"
    assert str(parse_schedule("cron */30 6-22 * * *")) == "cron */30 6-22 * * *"
    quiet = QuietHours.parse("23:00-06:00")
    assert quiet.contains(QuietHours.parse("00:00-00:01").start) and not quiet.contains(quiet.end)
    with pytest.raises(ValueError, match="neither"):
        parse_schedule("hourly")
