"""Source management actions: the same validation as the TOML file, audited changes, TOML export/import, run
requests and tombstones in tables of their own."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from sqlalchemy import func, select

from builders import audit_trail, people, source_row
from config import AppConfig, Settings, SourceConfig, load_config
from review.actors import CONSOLE_ACTOR as CLI
from review.actors import person
from review.errors import NotAllowed
from service.runtime import Runtime
from service.sources import (
    SourceError,
    SourceNotFound,
    add_source,
    dispatch_run_request,
    edit_source,
    export_sources,
    import_sources,
    pause_source,
    pending_run_requests,
    remove_source,
    request_run,
    resume_source,
    seed_from_config,
    validate_source,
)
from store.models import AuditEntry, RunRequest, Source, SourceTombstone
from web.i18n import said

FEED = {"name": "Tuổi Trẻ", "kind": "rss", "url": "https://tuoitre.vn/rss/tin-moi-nhat.rss"}


def test_add_edit_pause_resume_remove_are_audited(runtime: Runtime) -> None:
    db = runtime.db
    people(db, ("an", "operator"))
    add_source(runtime, CLI, {**FEED, "schedule": "every 30m", "jitter_s": 20})
    _name, diff = edit_source(runtime, person("an"), FEED["name"], {
        "schedule": "cron 0 */2 * * *", "min_delay_s": 3, "concurrency": 1,
        "user_agent": "kiemtin-test/1 (+https://example.vn/contact)", "quiet_hours": "23:00-6:00"})
    assert diff["schedule"] == ("every 30m", "cron 0 */2 * * *")
    assert diff["quiet_hours"] == (None, "23:00-06:00")  # normalised like the TOML file
    assert edit_source(runtime, CLI, FEED["name"], {"jitter_s": 20}) == (FEED["name"], {})
    assert pause_source(runtime, CLI, FEED["name"], reason="site down") == (FEED["name"], True)
    assert pause_source(runtime, CLI, FEED["name"]) == (FEED["name"], False)
    assert resume_source(runtime, CLI, FEED["name"]) == (FEED["name"], True)
    row = source_row(db, FEED["name"])
    assert (row["schedule"], row["min_delay_s"], row["concurrency"], row["enabled"]) == ("cron 0 */2 * * *", 3, 1,
                                                                                         True)
    removed = remove_source(runtime, CLI, FEED["name"])
    assert removed.schedule == "cron 0 */2 * * *"
    assert [a[:2] for a in audit_trail(db)] == [("cli", "source.create"), ("an", "source.update"),
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


def test_invalid_edits_change_nothing(runtime: Runtime) -> None:
    db = runtime.db
    add_source(runtime, CLI, FEED)
    before_row, before_audit = source_row(db, FEED["name"]), audit_trail(db)
    for changes, message in INVALID_EDITS:
        with pytest.raises(SourceError, match=message):
            edit_source(runtime, CLI, FEED["name"], {**changes, "jitter_s": 7})
        assert source_row(db, FEED["name"]) == before_row
        assert audit_trail(db) == before_audit


def test_names_are_unique_and_lookups_fail_clearly(runtime: Runtime) -> None:
    add_source(runtime, CLI, FEED)
    add_source(runtime, CLI, {**FEED, "name": "other"})
    with pytest.raises(SourceError, match="already exists"):
        add_source(runtime, CLI, FEED)
    with pytest.raises(SourceError, match="already exists"):
        edit_source(runtime, CLI, "other", {"name": FEED["name"]})
    with pytest.raises(SourceNotFound, match="no source named 'nope'"):
        pause_source(runtime, CLI, "nope")
    for missing in (2**63, 10**25, -3):
        with pytest.raises(SourceNotFound):
            pause_source(runtime, CLI, missing)


def test_only_operators_admins_and_the_console_manage_sources(runtime: Runtime) -> None:
    people(runtime.db, ("ana", "analyst"), ("op", "operator"), ("root", "admin"))
    with pytest.raises(NotAllowed, match="'ana' is an analyst; only an operator or an admin"):
        add_source(runtime, person("ana"), FEED)
    add_source(runtime, person("op"), FEED)
    assert pause_source(runtime, person("root"), FEED["name"]) == (FEED["name"], True)
    with pytest.raises(NotAllowed):
        remove_source(runtime, person("ana"), FEED["name"])
    with runtime.db.session() as s:
        assert s.scalar(select(func.count(Source.id))) == 1


def test_export_then_import_round_trips(runtime: Runtime, tmp_path: Path) -> None:
    db = runtime.db
    odd = {"name": "Báo lạ 2", "kind": "rss", "url": "https://example.vn/a?b=1&c=\u00e9", "schedule": "every 2h",
           "enabled": False, "jitter_s": 5, "quiet_hours": "22:30-05:15", "min_delay_s": 1.5, "concurrency": 2,
           "user_agent": "kiemtin/0.1 (\"ops\"\\ +mailto:ops@example.vn)", "options": {"max_pages": 3, "lenient": True}}
    add_source(runtime, CLI, FEED)
    add_source(runtime, CLI, odd)
    text = export_sources(runtime, CLI)
    parsed = tomllib.loads(text)
    assert [SourceConfig.model_validate(x) for x in parsed["sources"]] == [
        SourceConfig.model_validate(odd), SourceConfig.model_validate(FEED)]
    # The export is a valid kiemtin.toml.
    path = tmp_path / "kiemtin.toml"
    path.write_text(text, encoding="utf-8")
    assert [c.name for c in load_config(path).sources] == [odd["name"], FEED["name"]]
    # Importing it again changes nothing; an edited copy updates only with update=True.
    result = import_sources(runtime, CLI, text)
    assert sorted(result.unchanged) == sorted([FEED["name"], odd["name"]])
    edited = text.replace('schedule = "every 2h"', 'schedule = "every 3h"')
    assert import_sources(runtime, CLI, edited).skipped == [odd["name"]]
    assert import_sources(runtime, CLI, edited, update=True).updated == [odd["name"]]
    assert source_row(db, odd["name"])["schedule"] == "every 3h"


def test_import_is_all_or_nothing(runtime: Runtime) -> None:
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
    with pytest.raises(SourceError, match=r"sources\[1\] \('bad'\): schedule: .*day-of-week") as refused:
        import_sources(runtime, CLI, text + '[[sources]]\nname = "good"\nkind = "rss"\nurl = "https://example.vn/f3"\n')
    with runtime.db.session() as s:
        assert s.scalar(select(func.count(Source.id))) == 0
    lines = said(refused.value, "vi").splitlines()  # each problem in the reader's language, the names as written
    assert len(lines) == 2 and "sources[1] ('bad'): schedule: " in lines[0] and "day-of-week" not in lines[0]
    assert lines[1].endswith("sources[2]: tên 'good' bị dùng hai lần")
    assert said(refused.value, "en").splitlines()[1].endswith("sources[2]: name 'good' is used twice")
    with pytest.raises(SourceError) as one:
        validate_source({"name": "x", "kind": "rss", "url": "https://example.vn/f", "min_delay_s": -1})
    assert said(one.value, "vi").startswith("nguồn 'x': min_delay_s: ") and str(one.value).startswith("source 'x'")


def test_run_requests_are_pending_until_dispatched_once(runtime: Runtime) -> None:
    source_id = add_source(runtime, CLI, FEED).id
    _name, request_id = request_run(runtime, CLI, FEED["name"])
    with runtime.db.session() as s:
        assert pending_run_requests(session=s) == [(request_id, source_id)]
    with runtime.db.write() as s:
        assert dispatch_run_request(session=s, request_id=request_id, holder="leader-a")
    with runtime.db.write() as s:  # a second leader finds it taken: it runs once
        assert not dispatch_run_request(session=s, request_id=request_id, holder="leader-b")
        assert pending_run_requests(session=s) == []
        assert s.get(RunRequest, request_id).dispatched_by == "leader-a"
    with runtime.db.session() as s:  # the audit log records the request, it is not the request
        assert s.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "source.run_requested")) == 1
        assert s.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action.like("%dispatch%"))) == 0


def test_seeding_does_not_resurrect_removed_sources(database_url: str) -> None:
    config = AppConfig(settings=Settings(database_url=database_url), sources=[SourceConfig(**FEED)])
    runtime = Runtime.open(config)
    try:
        assert seed_from_config(runtime, config.sources) == [FEED["name"]]
        remove_source(runtime, CLI, FEED["name"])
        with runtime.db.session() as s:
            assert s.get(SourceTombstone, FEED["name"]).removed_by == "cli"
        assert seed_from_config(runtime, config.sources) == []
        add_source(runtime, CLI, FEED)  # added back by a person: known again
        with runtime.db.session() as s:
            assert s.get(SourceTombstone, FEED["name"]) is None
        assert seed_from_config(runtime, config.sources) == []
    finally:
        runtime.close()


@pytest.mark.parametrize("url", ["http://169.254.169.254/latest/meta-data/", "http://localhost/feed.xml",
                                 "http://0x7f.1/feed", "http://[::ffff:127.0.0.1]/feed", "http://2130706433/feed"])
def test_a_source_naming_an_internal_address_is_refused_when_added(database_url: str, url: str) -> None:
    """Refused by the add and edit actions (so by the CLI, the pages and the API alike), before any connection."""
    runtime = Runtime.open(AppConfig(settings=Settings(database_url=database_url)))  # public addresses only
    try:
        with pytest.raises(SourceError, match="url: refusing"):
            add_source(runtime, CLI, {**FEED, "url": url})
        add_source(runtime, CLI, FEED)
        with pytest.raises(SourceError, match="url: refusing"):
            edit_source(runtime, CLI, FEED["name"], {"url": url})
        assert source_row(runtime.db, FEED["name"])["url"] == FEED["url"]
    finally:
        runtime.close()


def test_the_allow_list_admits_its_networks_but_never_metadata(database_url: str) -> None:
    runtime = Runtime.open(AppConfig(settings=Settings(database_url=database_url,
                                                       allow_networks=["127.0.0.0/8", "169.254.0.0/16"])))
    try:
        add_source(runtime, CLI, {**FEED, "url": "http://127.0.0.1:8080/feed.xml"})
        with pytest.raises(SourceError, match="url: refusing"):
            add_source(runtime, CLI, {**FEED, "name": "meta", "url": "http://169.254.169.254/latest/"})
    finally:
        runtime.close()
