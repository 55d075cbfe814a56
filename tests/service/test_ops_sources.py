"""Source management: the same validation as the TOML file, audited changes, TOML export/import, the CLI."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from config import AppConfig, Settings, SourceConfig, load_config
from pipeline import app
from service.runtime import Runtime
from service.sources import (
    SourceError,
    SourceNotFound,
    add_source,
    edit_source,
    export_toml,
    import_toml,
    pause_source,
    pending_run_requests,
    remove_source,
    request_run,
    resume_source,
    seed_from_config,
    source_config,
)
from store import Database
from store.models import AuditEntry, Source

FEED = {"name": "Tuổi Trẻ", "kind": "rss", "url": "https://tuoitre.vn/rss/tin-moi-nhat.rss"}


def _audit(db: Database) -> list[tuple[str, str, str | None]]:
    with db.session() as s:
        return [(a.actor, a.action, a.target_id) for a in s.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def _row(db: Database, name: str) -> dict:
    with db.session() as s:
        return source_config(s.scalar(select(Source).where(Source.name == name))).model_dump()


def test_add_edit_pause_resume_remove_are_audited(db: Database) -> None:
    with db.write() as s:
        add_source(session=s, values={**FEED, "schedule": "every 30m", "jitter_s": 20}, actor="cli")
    with db.write() as s:
        diff = edit_source(session=s, name=FEED["name"], actor="web:an",
                           changes={"schedule": "cron 0 */2 * * *", "min_delay_s": 3, "concurrency": 1,
                                    "user_agent": "kiemtin-test/1 (+https://example.vn/contact)",
                                    "quiet_hours": "23:00-6:00"})
    assert diff["schedule"] == ("every 30m", "cron 0 */2 * * *")
    assert diff["quiet_hours"] == (None, "23:00-06:00")  # normalised like the TOML file
    with db.write() as s:
        assert edit_source(session=s, name=FEED["name"], changes={"jitter_s": 20}, actor="cli") == {}
        assert pause_source(session=s, name=FEED["name"], actor="cli", reason="site down")
        assert not pause_source(session=s, name=FEED["name"], actor="cli")
        assert resume_source(session=s, name=FEED["name"], actor="cli")
    row = _row(db, FEED["name"])
    assert (row["schedule"], row["min_delay_s"], row["concurrency"], row["enabled"]) == ("cron 0 */2 * * *", 3, 1,
                                                                                         True)
    with db.write() as s:
        removed = remove_source(session=s, name=FEED["name"], actor="cli")
    assert removed.schedule == "cron 0 */2 * * *"
    assert [a[:2] for a in _audit(db)] == [("cli", "source.create"), ("web:an", "source.update"),
                                           ("cli", "source.pause"), ("cli", "source.resume"),
                                           ("cli", "source.delete")]
    with db.session() as s:
        update = s.scalar(select(AuditEntry).where(AuditEntry.action == "source.update"))
        assert update.details["before"]["schedule"] == "every 30m"
        assert update.details["after"]["concurrency"] == 1


INVALID_EDITS = [
    ({"schedule": "cron 61 * * * *"}, "schedule: invalid cron"),
    ({"schedule": "every 0m"}, "schedule: interval 'every 0m' is too short"),
    ({"quiet_hours": "25:00-06:00"}, "quiet_hours"),
    ({"concurrency": 0}, "concurrency"),
    ({"url": "ftp://example.vn/feed"}, "url: must be an http"),
    ({"kind": "tiktok"}, "unknown source kind"),
    ({"options": {"no_such_option": 1}}, "unknown option"),
    ({"colour": "red"}, "unknown source field"),
]


def test_invalid_edits_change_nothing(db: Database) -> None:
    with db.write() as s:
        add_source(session=s, values=FEED, actor="cli")
    before_row, before_audit = _row(db, FEED["name"]), _audit(db)
    for changes, message in INVALID_EDITS:
        with pytest.raises(SourceError, match=message), db.write() as s:
            edit_source(session=s, name=FEED["name"], changes={**changes, "jitter_s": 7}, actor="cli")
        assert _row(db, FEED["name"]) == before_row
        assert _audit(db) == before_audit


def test_names_are_unique_and_lookups_fail_clearly(db: Database) -> None:
    with db.write() as s:
        add_source(session=s, values=FEED, actor="cli")
        add_source(session=s, values={**FEED, "name": "other"}, actor="cli")
    with pytest.raises(SourceError, match="already exists"), db.write() as s:
        add_source(session=s, values=FEED, actor="cli")
    with pytest.raises(SourceError, match="already exists"), db.write() as s:
        edit_source(session=s, name="other", changes={"name": FEED["name"]}, actor="cli")
    with pytest.raises(SourceNotFound, match="no source named 'nope'"), db.write() as s:
        pause_source(session=s, name="nope", actor="cli")


def test_export_then_import_round_trips(db: Database, tmp_path: Path) -> None:
    odd = {"name": "Báo lạ 2", "kind": "rss", "url": "https://example.vn/a?b=1&c=\u00e9", "schedule": "every 2h",
           "enabled": False, "jitter_s": 5, "quiet_hours": "22:30-05:15", "min_delay_s": 1.5, "concurrency": 2,
           "user_agent": "kiemtin/0.1 (\"ops\"\\ +mailto:ops@example.vn)", "options": {"max_pages": 3, "lenient": True}}
    with db.write() as s:
        add_source(session=s, values=FEED, actor="cli")
        add_source(session=s, values=odd, actor="cli")
    with db.session() as s:
        text = export_toml(session=s)
    parsed = tomllib.loads(text)
    assert [SourceConfig.model_validate(x) for x in parsed["sources"]] == [
        SourceConfig.model_validate(odd), SourceConfig.model_validate(FEED)]
    # The export is a valid kiemtin.toml.
    path = tmp_path / "kiemtin.toml"
    path.write_text(text, encoding="utf-8")
    assert [c.name for c in load_config(path).sources] == [odd["name"], FEED["name"]]
    # Importing it again changes nothing; an edited copy updates only with update=True.
    with db.write() as s:
        result = import_toml(session=s, text=text, actor="cli")
    assert sorted(result.unchanged) == sorted([FEED["name"], odd["name"]])
    edited = text.replace('schedule = "every 2h"', 'schedule = "every 3h"')
    with db.write() as s:
        assert import_toml(session=s, text=edited, actor="cli").skipped == [odd["name"]]
    with db.write() as s:
        assert import_toml(session=s, text=edited, actor="cli", update=True).updated == [odd["name"]]
    assert _row(db, odd["name"])["schedule"] == "every 3h"


def test_import_is_all_or_nothing(db: Database) -> None:
    text = """
[[sources]]
name = "good"
kind = "rss"
url = "https://example.vn/feed"

[[sources]]
name = "bad"
kind = "rss"
url = "https://example.vn/feed2"
schedule = "cron 0 8 * * 9"
"""
    with pytest.raises(SourceError, match=r"sources\[1\] \('bad'\): schedule: .*day-of-week"), db.write() as s:
        import_toml(session=s, text=text, actor="cli")
    with db.session() as s:
        assert s.scalar(select(func.count(Source.id))) == 0


def test_run_requests_are_pending_until_dispatched(db: Database) -> None:
    with db.write() as s:
        source_id = add_source(session=s, values=FEED, actor="cli").id
        request_id = request_run(session=s, name=FEED["name"], actor="cli")
    with db.session() as s:
        assert pending_run_requests(session=s) == [(request_id, source_id)]


def test_seeding_does_not_resurrect_removed_sources(database_url: str) -> None:
    config = AppConfig(settings=Settings(database_url=database_url), sources=[SourceConfig(**FEED)])
    runtime = Runtime.open(config)
    try:
        assert seed_from_config(runtime, config.sources) == [FEED["name"]]
        with runtime.db.write() as s:
            remove_source(session=s, name=FEED["name"], actor="cli")
        assert seed_from_config(runtime, config.sources) == []
        with runtime.db.write() as s:
            add_source(session=s, values=FEED, actor="cli")  # added back by a person: known again
        assert seed_from_config(runtime, config.sources) == []
    finally:
        runtime.close()


# --- the command line ---------------------------------------------------------------------------------

@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.chdir(tmp_path)  # no stray kiemtin.toml
    monkeypatch.setenv("KIEMTIN_DATABASE_URL", database_url)
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(app, list(args), catch_exceptions=False)

    return invoke


def test_cli_refuses_bad_schedules_and_changes_nothing(cli, db: Database) -> None:
    result = cli("sources", "add", "feed", "--kind", "rss", "--url", "https://example.vn/feed",
                 "--schedule", "every 15m", "--jitter", "10", "--quiet-hours", "23:00-06:00")
    assert result.exit_code == 0, result.output
    before_row, before_audit = _row(db, "feed"), _audit(db)
    for bad, message in (("cron 61 * * * *", "invalid cron '61 * * * *'"), ("every 0m", "too short"),
                         ("every 0s", "too short"), ("cron 0 8 * * 1-9", "day-of-week")):
        result = cli("sources", "edit", "feed", "--schedule", bad, "--min-delay", "5")
        assert result.exit_code == 2
        assert "error: source 'feed': schedule: " in result.output and message in result.output
    result = cli("sources", "add", "feed2", "--kind", "rss", "--url", "https://example.vn/2", "--schedule", "every 0m")
    assert result.exit_code == 2 and "too short" in result.output
    assert _row(db, "feed") == before_row
    assert _audit(db) == before_audit


def test_cli_manages_sources(cli, db: Database, tmp_path: Path) -> None:
    assert cli("sources", "add", "feed", "--kind", "rss", "--url", "https://example.vn/feed",
               "-o", "max_pages=2").exit_code == 0
    result = cli("sources", "edit", "feed", "--schedule", "cron 0 6-22/2 * * *", "--min-delay", "2.5",
                 "--concurrency", "1", "--user-agent", "kiemtin-ops/1 (+https://example.vn)", "--quiet-hours",
                 "23:00-05:00")
    assert result.exit_code == 0, result.output
    assert "schedule: 'every 15m' -> 'cron 0 6-22/2 * * *'" in result.output
    row = _row(db, "feed")
    assert (row["min_delay_s"], row["concurrency"], row["options"]) == (2.5, 1, {"max_pages": 2})
    assert cli("sources", "edit", "feed", "--clear", "user_agent", "--clear", "quiet_hours").exit_code == 0
    assert (_row(db, "feed")["user_agent"], _row(db, "feed")["quiet_hours"]) == (None, None)
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
    assert _row(db, "feed")["schedule"] == "cron 0 6-22/2 * * *"
    assert cli("sources", "edit", "nope", "--jitter", "1").exit_code == 2
    actions = [a[1] for a in _audit(db) if a[0] == "cli"]
    assert actions == ["source.create", "source.update", "source.update", "source.pause", "source.resume",
                       "source.run_requested", "source.delete", "source.create"]
