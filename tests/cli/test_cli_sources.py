"""``kiemtin sources ...``: the same actions as the operators' pages, refusals as readable errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from builders import audit_trail, source_row
from pipeline import app
from store import Database


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.chdir(tmp_path)  # no stray kiemtin.toml
    monkeypatch.setenv("KIEMTIN_DATABASE_URL", database_url)
    monkeypatch.setenv("KIEMTIN_UI_LANGUAGE", "en")  # these tests read the English messages
    runner = CliRunner()


    def invoke(*args: str):
        return runner.invoke(app, list(args), catch_exceptions=False)

    return invoke


def test_cli_refuses_bad_schedules_and_changes_nothing(cli, db: Database) -> None:
    result = cli("sources", "add", "feed", "--kind", "rss", "--url", "https://example.vn/feed",
                 "--schedule", "every 15m", "--jitter", "10", "--quiet-hours", "23:00-06:00")
    assert result.exit_code == 0, result.output
    before_row, before_audit = source_row(db, "feed"), audit_trail(db)
    for bad, message in (("cron 61 * * * *", "invalid cron '61 * * * *'"), ("every 0m", "too short"),
                         ("every 0s", "too short"), ("cron 0 8 * * 1-9", "day-of-week")):
        result = cli("sources", "edit", "feed", "--schedule", bad, "--min-delay", "5")
        assert result.exit_code == 2
        assert "error: source 'feed': schedule: " in result.output and message in result.output
    result = cli("sources", "add", "feed2", "--kind", "rss", "--url", "https://example.vn/2", "--schedule", "every 0m")
    assert result.exit_code == 2 and "too short" in result.output
    internal = cli("sources", "add", "meta", "--kind", "rss", "--url", "http://169.254.169.254/latest/")
    assert internal.exit_code == 2 and "refusing" in internal.output
    assert source_row(db, "feed") == before_row
    assert audit_trail(db) == before_audit


def test_cli_manages_sources(cli, db: Database, tmp_path: Path) -> None:
    assert cli("sources", "add", "feed", "--kind", "rss", "--url", "https://example.vn/feed",
               "-o", "max_pages=2").exit_code == 0
    result = cli("sources", "edit", "feed", "--schedule", "cron 0 6-22/2 * * *", "--min-delay", "2.5",
                 "--concurrency", "1", "--user-agent", "kiemtin-ops/1 (+https://example.vn)", "--quiet-hours",
                 "23:00-05:00")
    assert result.exit_code == 0, result.output
    assert "schedule: 'every 15m' -> 'cron 0 6-22/2 * * *'" in result.output
    row = source_row(db, "feed")
    assert (row["min_delay_s"], row["concurrency"], row["options"]) == (2.5, 1, {"max_pages": 2})
    assert cli("sources", "edit", "feed", "--clear", "user_agent", "--clear", "quiet_hours").exit_code == 0
    assert (source_row(db, "feed")["user_agent"], source_row(db, "feed")["quiet_hours"]) == (None, None)
    listing = cli("sources", "list")
    assert "feed" in listing.output and "cron 0 6-22/2 * * *" in listing.output
    assert "paused" in cli("sources", "pause", "feed").output
    assert cli("sources", "resume", "feed").output.strip() == "feed: resumed"
    run = cli("sources", "run-now", "feed")
    assert "run requested" in run.output and "no scheduler is running" in run.output
    exported = cli("sources", "export", "--output", str(tmp_path / "out.toml"))
    assert "wrote 1 sources" in exported.output
    assert cli("sources", "remove", "feed", "--yes").output.strip() == "feed: removed"
    result = cli("sources", "import", str(tmp_path / "out.toml"))
    assert result.output.strip() == "created: feed"
    assert source_row(db, "feed")["schedule"] == "cron 0 6-22/2 * * *"
    assert cli("sources", "edit", "nope", "--jitter", "1").exit_code == 4  # not found
    actions = [a[1] for a in audit_trail(db) if a[0] == "cli"]
    assert actions == ["source.create", "source.update", "source.update", "source.pause", "source.resume",
                       "source.run_requested", "source.delete", "source.create"]
