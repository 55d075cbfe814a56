"""Operators' pages and API in-process (TestClient) on SQLite and PostgreSQL: add and edit sources through the
form, bad schedules refused with nothing changed, pause/resume/run-now audited, health, and role refusals."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from review.actors import CONSOLE_ACTOR
from service.runtime import Runtime
from service.sources import add_source
from store.models import AuditEntry, CrawlRun, Source
from web_support import csrf_of, signed_in

FORM = {"name": "vnexpress", "kind": "rss", "url": "https://vnexpress.net/rss/tin-moi-nhat.rss",
        "schedule_type": "every", "every": "30m", "cron": "", "jitter_s": "60", "quiet_hours": "23:00-06:00",
        "min_delay_s": "2", "concurrency": "2", "user_agent": "kiemtin-test/1.0 (+https://example.vn)",
        "options": "", "enabled": "1"}


def _audit(runtime: Runtime, prefix: str) -> list[AuditEntry]:
    with runtime.db.session() as s:
        return list(s.scalars(select(AuditEntry).where(AuditEntry.action.startswith(prefix)).order_by(AuditEntry.id)))


def _source(runtime: Runtime, name: str) -> Source:
    with runtime.db.session() as s:
        source = s.scalars(select(Source).where(Source.name == name)).one()
        s.expunge(source)
        return source


def _seed(runtime: Runtime, name: str = "feed", url: str = "https://example.vn/feed.xml") -> int:
    return add_source(runtime, CONSOLE_ACTOR, {"name": name, "kind": "rss", "url": url, "schedule": "every 1h"}).id


def test_operator_adds_and_edits_a_source_through_the_form(runtime: Runtime) -> None:
    op = signed_in(runtime, "olga", "operator")
    page = op.get("/sources")
    assert page.status_code == 200 and 'href="/sources"' in page.text and 'href="/health"' in page.text
    assert 'href="/exports"' not in page.text and 'href="/queue"' not in page.text
    token = csrf_of(op, "/sources")
    added = op.post("/sources", data={**FORM, "csrf_token": token}, follow_redirects=False)
    assert added.status_code == 303 and added.headers["location"].startswith("/sources?done=created")
    source = _source(runtime, "vnexpress")
    assert (source.schedule, source.jitter_s, source.quiet_hours, source.min_delay_s, source.concurrency) == (
        "every 30m", 60, "23:00-06:00", 2.0, 2)
    listing = op.get(added.headers["location"]).text
    assert "Source vnexpress added" in listing
    assert f'href="/sources/{source.id}"' in listing and 'rel="noopener noreferrer"' in listing
    edited = op.post(f"/sources/{source.id}", follow_redirects=False, data={
        **FORM, "csrf_token": token, "schedule_type": "cron", "cron": "30 4 * * *", "quiet_hours": "",
        "min_delay_s": "", "user_agent": ""})
    assert edited.status_code == 303
    source = _source(runtime, "vnexpress")
    assert (source.schedule, source.quiet_hours, source.min_delay_s, source.user_agent) == (
        "cron 30 4 * * *", None, None, None)
    assert "Source vnexpress saved" in op.get(edited.headers["location"]).text
    (update,) = _audit(runtime, "source.update")
    assert update.actor == "olga" and update.details["after"]["schedule"] == "cron 30 4 * * *"
    assert [e.actor for e in _audit(runtime, "source.create")] == ["olga"]


def test_bad_schedules_are_refused_with_the_message_and_nothing_changes(runtime: Runtime) -> None:
    source_id = _seed(runtime)
    op = signed_in(runtime, "olga", "operator")
    token = csrf_of(op, "/sources")
    before = _source(runtime, "feed")
    audit_before = len(_audit(runtime, ""))
    for fields, message in (({"schedule_type": "cron", "cron": "61 * * * *"}, "cron"),
                            ({"schedule_type": "every", "every": "0m"}, "too short"),
                            ({"schedule_type": "cron", "cron": "1 2 3"}, "5 fields"),
                            ({"quiet_hours": "25:00-06:00"}, "impossible time")):
        refused = op.post(f"/sources/{source_id}", data={
            **FORM, "url": before.url, "csrf_token": token, **fields})
        assert refused.status_code == 422, fields
        errors = re.search(r'<div class="flash flash-error form-errors".*?</div>', refused.text, re.S).group(0)
        assert "Nothing was changed" in errors and message in errors, errors
        assert 'id="edit-form"' in refused.text  # the form is shown again, next to the message
    bad_add = op.post("/sources", data={**FORM, "name": "other", "csrf_token": token,
                                        "schedule_type": "every", "every": "0m"})
    assert bad_add.status_code == 422 and "too short" in bad_add.text and 'value="other"' in bad_add.text
    after = _source(runtime, "feed")
    assert {k: getattr(after, k) for k in ("schedule", "jitter_s", "quiet_hours", "min_delay_s", "concurrency",
                                           "user_agent", "url", "enabled")} == \
        {k: getattr(before, k) for k in ("schedule", "jitter_s", "quiet_hours", "min_delay_s", "concurrency",
                                         "user_agent", "url", "enabled")}
    with runtime.db.session() as s:
        assert s.scalar(select(func.count()).select_from(Source)) == 1
    assert len(_audit(runtime, "")) == audit_before  # no audit entry for a refused change


def test_pause_resume_run_now_and_remove_are_audited(runtime: Runtime) -> None:
    source_id = _seed(runtime)
    op = signed_in(runtime, "olga", "operator")
    token = csrf_of(op, "/sources")
    assert op.post(f"/sources/{source_id}/pause", data={"csrf_token": token},
                   follow_redirects=False).status_code == 303
    assert not _source(runtime, "feed").enabled
    assert "Paused feed" in op.get("/sources?done=paused&source=feed").text
    back = op.post(f"/sources/{source_id}/resume", data={"csrf_token": token, "back": "detail"},
                   follow_redirects=False)
    assert back.headers["location"].startswith(f"/sources/{source_id}?") and _source(runtime, "feed").enabled
    op.post(f"/sources/{source_id}/run", data={"csrf_token": token})
    assert [(e.action, e.actor, e.target_id) for e in _audit(runtime, "source.")
            if e.action != "source.create"] == [
        ("source.pause", "olga", "feed"), ("source.resume", "olga", "feed"), ("source.run_requested", "olga", "feed")]
    api_token = {"X-CSRF-Token": token}
    assert op.post(f"/api/sources/{source_id}/pause", headers=api_token).json() == {"source": "feed", "changed": True}
    assert op.post(f"/api/sources/{source_id}/run", headers=api_token).status_code == 200
    patched = op.patch(f"/api/sources/{source_id}", headers=api_token, json={"schedule": "every 0m"})
    assert patched.status_code == 422 and "too short" in patched.json()["detail"]
    patched = op.patch(f"/api/sources/{source_id}", headers=api_token, json={"schedule": "every 2h", "jitter_s": 30})
    assert patched.status_code == 200 and patched.json()["changed"]["schedule"] == ["every 1h", "every 2h"]
    confirm = op.get(f"/sources/{source_id}/remove")
    assert confirm.status_code == 200 and "Remove feed?" in confirm.text
    assert op.post(f"/sources/{source_id}/remove", data={"csrf_token": token},
                   follow_redirects=False).headers["location"] == f"/sources/{source_id}/remove"  # no confirm field
    assert _source(runtime, "feed")
    removed = op.post(f"/sources/{source_id}/remove", data={"csrf_token": token, "confirm": "yes"},
                      follow_redirects=False)
    assert removed.status_code == 303 and "Removed feed" in op.get(removed.headers["location"]).text
    assert [e.actor for e in _audit(runtime, "source.delete")] == ["olga"]


def test_source_page_shows_run_history_and_health_shows_failing_sources(runtime: Runtime) -> None:
    source_id = _seed(runtime, "broken")
    with runtime.db.write() as s:
        from datetime import timedelta

        from store.types import utcnow
        start = utcnow() - timedelta(minutes=5)
        s.add(CrawlRun(source_id=source_id, trigger="schedule", started_at=start,
                       finished_at=start + timedelta(seconds=12.5), status="error",
                       http_status_counts={"503": 3}, fetched=3, new=0, updated=0, flagged=0,
                       errors=["HTTP 503 from https://example.vn/feed.xml <b>down</b>"]))
    op = signed_in(runtime, "olga", "operator")
    detail = op.get(f"/sources/{source_id}")
    assert detail.status_code == 200 and "12.5 s" in detail.text and "×3" in detail.text
    assert "&lt;b&gt;down&lt;/b&gt;" in detail.text and "<b>down" not in detail.text
    health = op.get("/health")
    assert health.status_code == 200 and "FAILING" in health.text and "broken" in health.text
    assert health.text.count("<svg") == 1 and health.text.count("<rect") == 28  # 14 days x posts, flags
    api = op.get("/api/health").json()
    assert api["failing"] == ["broken"] and api["healthy"] is False
    assert op.get(f"/api/sources/{source_id}").json()["runs"][0]["duration_s"] == 12.5


def test_analyst_and_reviewer_cannot_reach_operator_pages(runtime: Runtime) -> None:
    source_id = _seed(runtime)
    ana = signed_in(runtime, "ana")
    token = csrf_of(ana)
    paths = ["/sources", "/health", f"/sources/{source_id}", "/api/sources", "/api/health", "/exports",
             "/api/exports"]
    for path in paths:
        response = ana.get(path)
        assert response.status_code == 403, path
    page = ana.get("/sources")
    assert "Not allowed" in page.text and "recorded in the audit log" in page.text
    assert ana.post(f"/sources/{source_id}/pause", data={"csrf_token": token}).status_code == 403
    assert ana.post(f"/api/sources/{source_id}/run", headers={"X-CSRF-Token": token}).status_code == 403
    assert ana.post("/api/exports", headers={"X-CSRF-Token": token}, json={}).status_code == 403
    assert _source(runtime, "feed").enabled
    denied = _audit(runtime, "access.denied")
    assert [e.target_id for e in denied] == [*paths, "/sources", f"/sources/{source_id}/pause",
                                             f"/api/sources/{source_id}/run", "/api/exports"]
    assert {e.actor for e in denied} == {"ana"} and {e.details["reason"] for e in denied} == {"role"}
    assert not [e for e in _audit(runtime, "source.") if e.actor == "ana"]
    rev = signed_in(runtime, "rita", "reviewer")
    assert rev.get("/sources").status_code == 403 and rev.get("/api/health").status_code == 403
    nav = rev.get("/").text
    assert 'href="/exports"' in nav and 'href="/sources"' not in nav
    admin = signed_in(runtime, "boss", "admin")
    assert all(admin.get(p).status_code == 200 for p in ("/sources", "/health", "/exports"))


def test_api_sources_are_in_the_openapi_schema(runtime: Runtime) -> None:
    op = signed_in(runtime, "olga", "operator")
    paths = op.get("/api/openapi.json").json()["paths"]
    for path in ("/api/sources", "/api/sources/{source_id}", "/api/sources/{source_id}/pause",
                 "/api/sources/{source_id}/resume", "/api/sources/{source_id}/run", "/api/health",
                 "/api/exports", "/api/exports/preview", "/api/exports/{export_id}",
                 "/api/exports/{export_id}/files/{which}", "/api/exports/profiles/{name}"):
        assert path in paths, path
    assert not any(p.startswith(("/sources", "/exports", "/health")) for p in paths)
    token = csrf_of(op)
    created = op.post("/api/sources", headers={"X-CSRF-Token": token}, json={
        "name": "tuoitre", "kind": "rss", "url": "javascript:alert(1)"})
    assert created.status_code == 422 and "http" in created.json()["detail"]
    created = op.post("/api/sources", headers={"X-CSRF-Token": token}, json={
        "name": "tuoitre", "kind": "rss", "url": "https://tuoitre.vn/rss.rss", "schedule": "cron 0 */2 * * *"})
    assert created.status_code == 201 and created.json()["schedule"] == "cron 0 */2 * * *"
    assert op.post("/api/sources", json={"name": "x", "kind": "rss", "url": "https://x.vn"}).status_code == 403
    assert [s["name"] for s in op.get("/api/sources").json()] == ["tuoitre"]


def test_a_paused_source_shows_no_next_run(runtime: Runtime) -> None:
    import json
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import Column, Float, MetaData, String, Table
    from typer.testing import CliRunner

    from pipeline import app
    from service.sources import pause_source

    live, paused = _seed(runtime, "live"), _seed(runtime, "paused", "https://example.vn/other.xml")
    jobs = Table("apscheduler_jobs", MetaData(), Column("id", String(191), primary_key=True),
                 Column("next_run_time", Float(25)))
    soon = (datetime.now(UTC) + timedelta(minutes=10)).timestamp()
    with runtime.db.write() as s:  # the leader's jobs, as a scheduler that stopped before the pause left them
        jobs.create(s.connection())
        s.execute(jobs.insert(), [{"id": f"source:{live}", "next_run_time": soon},
                                  {"id": f"source:{paused}", "next_run_time": soon}])
    pause_source(runtime, CONSOLE_ACTOR, "paused")
    op = signed_in(runtime, "olga", "operator")
    rows = {name: row for name, row in re.findall(r'<tr data-source="(\w+)"(.*?)</tr>', op.get("/sources").text,
                                                  re.S)}
    assert rows["live"].count("<time") == 1 and "<time" not in rows["paused"]  # no last run; next run only if live
    health = op.get("/health").text
    assert re.search(r'<tr data-source="live">', health) and not re.search(r'<tr data-source="paused">', health)
    api = {s["name"]: s["next_run_at"] for s in op.get("/api/sources").json()}
    assert api["live"] is not None and api["paused"] is None
    env = {"KIEMTIN_DATABASE_URL": runtime.config.settings.database_url, "KIEMTIN_CONFIG": "/nonexistent.toml"}
    status = json.loads(CliRunner().invoke(app, ["status", "--json"], env=env).output)
    assert {s["name"]: s["next_run_at"] for s in status["sources"]} == {"live": api["live"].replace(
        "T", " ").replace("Z", "+00:00"), "paused": None}
