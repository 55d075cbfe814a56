"""Re-checks against a local server whose posts disappear (404, 410, a platform's "not found" answer, a
redirect to the home page, a message missing from a channel preview), reappear, change text or time out."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

import builders
from config import AppConfig
from crawlkit import LocalServer, Resp
from export_builders import T0, confirm, people, settings_for
from review.actors import person
from review.errors import NotAllowed
from review.exports import run_export, save_profile
from review.takedowns import get_request, list_requests
from service.runtime import Runtime
from service.takedown_checks import compare_text, recheck_due_requests
from store.models import AuditEntry, Decision, Export, QueueItem, TakedownCheck, Verdict

TEXT = "Tin đồn: uống nước muối chữa khỏi bệnh, lan truyền trên mạng {n}."


def _page(text: str) -> Resp:
    return Resp(200, f"<html><body><nav>Trang chủ</nav><article><p>{text}</p></article></body></html>")


def _quick(runtime: Runtime) -> Runtime:
    settings = runtime.config.settings.model_copy(update={"request_timeout_s": 1.0, "max_retries": 0})
    return Runtime(config=AppConfig(settings=settings), db=runtime.db)


def _setup(runtime: Runtime, server: LocalServer, tmp_path: Path) -> dict[str, int]:
    """Ten posts on the local server, confirmed and sent to one recipient: request id by name."""
    db = runtime.db
    who = people(db)
    src = builders.source(db, "local", server.url("/s/kenhtin"))
    posts = {
        "gone404": dict(url=server.url("/news/1")), "gone410": dict(url=server.url("/news/2")),
        "home": dict(url=server.url("/news/3")), "same": dict(url=server.url("/news/4")),
        "changed": dict(url=server.url("/news/5")), "slow": dict(url=server.url("/news/6")),
        "error": dict(url=server.url("/news/7")),
        "masto": dict(url=server.url("/@ban/111"), platform="mastodon"),
        "bsky": dict(url="https://bsky.app/profile/x/post/xyz", platform="bluesky", source_id=src),
        "tg": dict(url="https://t.me/kenhtin/5", platform="telegram", source_id=src),
    }
    external = {"bsky": "at://did:plc:abc/app.bsky.feed.post/xyz", "tg": "kenhtin/5"}
    for n, (name, fields) in enumerate(posts.items()):
        item = builders.flag(db, external.get(name, name), text=TEXT.format(n=n), **fields)
        confirm(db, item, who["ana"])
    save_profile(db, actor="rita", name="all", recipient="Nền tảng")
    run_export(db, settings_for(tmp_path), actor="rita", profile="all", now=T0)
    by_url = {r.post_url: r.id for r in list_requests(db, actor=person("rita"))}
    ids = {name: by_url[fields["url"]] for name, fields in posts.items()}
    server.routes.update({
        "/news/1": Resp(404, "không tìm thấy"), "/news/2": Resp(410, "đã xoá"),
        "/news/3": Resp(302, "", headers={"Location": "/"}), "/": _page("Trang chủ báo"),
        "/news/4": _page(TEXT.format(n=3)), "/news/5": _page("Bài viết đã được sửa: thông tin chính thức."),
        "/news/6": Resp(200, "", delay=2.0), "/news/7": Resp(503, "bận"),
        "/api/v1/statuses/111": Resp(404, json.dumps({"error": "Record not found"}), content_type="application/json"),
        "/xrpc/app.bsky.feed.getPosts": Resp(200, json.dumps({"posts": []}), content_type="application/json"),
        "/s/kenhtin/5": Resp(200, '<div class="tgme_channel_info">kenhtin</div>'
                                  '<div class="tgme_widget_message" data-post="kenhtin/4"><div '
                                  'class="tgme_widget_message_text">khác</div></div>'),
    })
    return ids


def test_posts_that_disappear_change_or_fail(runtime: Runtime, server: LocalServer, tmp_path: Path) -> None:
    ids = _setup(runtime, server, tmp_path)
    rt = _quick(runtime)
    summary = recheck_due_requests(rt, now=T0 + timedelta(hours=7))
    assert summary.checked == 10
    status = summary.statuses
    for name in ("gone404", "gone410", "home", "masto", "bsky", "tg"):
        assert status[ids[name]] == "removed", name
    for name in ("same", "changed", "slow", "error"):
        assert status[ids[name]] == "sent", name  # before the deadline; errors never count as removal
    assert summary.outcomes == {"removed": 6, "online": 1, "changed": 1, "unreachable": 2}
    rita = person("rita")
    changed = get_request(runtime.db, actor=rita, request_id=ids["changed"])
    assert changed.needs_decision and changed.checks[0].outcome == "changed" and changed.checks[0].text_sha256
    gone = get_request(runtime.db, actor=rita, request_id=ids["gone410"])
    assert gone.checks[0].http_status == 410 and gone.removed_at == T0 + timedelta(hours=7)
    slow = get_request(runtime.db, actor=rita, request_id=ids["slow"])
    assert slow.checks[0].outcome == "unreachable" and slow.checks[0].http_status is None
    assert get_request(runtime.db, actor=rita, request_id=ids["error"]).checks[0].http_status == 503

    # nothing is due an hour later; past the deadline the posts still up are still online
    assert recheck_due_requests(rt, now=T0 + timedelta(hours=8)).checked == 0
    # a removed post comes back
    server.routes["/news/1"] = _page(TEXT.format(n=0))
    server.routes["/news/6"] = Resp(404, "")
    later = recheck_due_requests(rt, now=T0 + timedelta(hours=25), everything=True).statuses
    assert later[ids["gone404"]] == "restored"
    assert later[ids["same"]] == "still_online"
    assert later[ids["slow"]] == "removed"
    assert later[ids["error"]] == "sent"  # unreachable again: no change, even past the deadline
    overdue = {r.id for r in list_requests(runtime.db, actor=rita, overdue=True, now=T0 + timedelta(hours=25))}
    assert {ids["gone404"], ids["same"], ids["error"], ids["changed"]} <= overdue
    assert ids["slow"] not in overdue


def test_text_comparison() -> None:
    assert compare_text("mastodon", "Tin GIẢ về vắc-xin!", "tin giả về vắc xin") == "online"
    assert compare_text("mastodon", "Tin giả", "Tin giả về vắc-xin") == "changed"
    assert compare_text("web", "Tin giả về vắc-xin", "Trang chủ. Tin giả về vắc-xin. Bình luận") == "online"


def test_the_scheduler_leader_runs_the_recheck_job(database_url: str) -> None:
    from config import Settings
    from service.scheduler import RECHECK_JOB, CrawlScheduler
    from tests_support import wait_until

    rt = Runtime.open(AppConfig(settings=Settings(database_url=database_url, lease_seconds=5)))
    calls: list[Runtime] = []
    scheduler = CrawlScheduler(rt, crawl=lambda *a: None, sync_every_s=0.3, recheck=calls.append)
    scheduler.start()
    try:
        wait_until(lambda: calls, 20, "the re-check job to run")
        assert calls[0] is rt
        assert scheduler._scheduler is not None and scheduler._scheduler.get_job(RECHECK_JOB) is not None
        assert not scheduler.ensure_recheck_job()  # there is one job, not one per tick
    finally:
        scheduler.stop()
        rt.close()


def test_robots_txt_is_obeyed_and_a_refusal_is_not_a_removal(runtime: Runtime, server: LocalServer,
                                                              tmp_path: Path) -> None:
    db = runtime.db
    who = people(db)
    server.routes["/robots.txt"] = Resp(200, "User-agent: *\nDisallow: /private/\n", content_type="text/plain")
    server.routes["/private/1"] = Resp(404, "")
    confirm(db, builders.flag(db, "hidden", text=TEXT.format(n=1), url=server.url("/private/1")), who["ana"])
    save_profile(db, actor="rita", name="p", recipient="R")
    run_export(db, settings_for(tmp_path), actor="rita", profile="p", now=T0)
    summary = recheck_due_requests(_quick(runtime), now=T0 + timedelta(hours=7))
    assert summary.outcomes == {"unreachable": 1} and list(summary.statuses.values()) == ["sent"]
    assert server.hits_for("/private/1") == []  # never fetched
    [request] = list_requests(db, actor=person("rita"))
    assert "robots.txt" in get_request(db, actor=person("rita"), request_id=request.id).checks[0].detail


def test_a_changed_post_puts_its_item_back_for_a_person(runtime: Runtime, server: LocalServer,
                                                          tmp_path: Path) -> None:
    """The re-check that sees a changed text re-opens the confirmed item (``changed``, audited) for a reviewer
    outside the case, who decides on the text seen; the request stays linked, nothing is sent, and an undo of
    that decision makes the request wait again."""
    db = runtime.db
    who = people(db)
    item = builders.flag(db, "edited", text=TEXT.format(n=1), url=server.url("/news/9"))
    confirm(db, item, who["ana"])
    save_profile(db, actor="rita", name="p", recipient="R")
    run_export(db, settings_for(tmp_path), actor="rita", profile="p", now=T0)
    [request] = list_requests(db, actor=person("rita"))
    server.routes["/news/9"] = _page("Bài viết đã được sửa: thông tin chính thức từ Bộ Y tế.")
    assert recheck_due_requests(_quick(runtime), now=T0 + timedelta(hours=7)).outcomes == {"changed": 1}
    with db.session() as s:
        reopened = s.get(QueueItem, item)
        assert reopened is not None and reopened.status == "changed" and reopened.assignee_id is None
        confirmed_id = reopened.current_decision_id  # the confirmation stands until a person decides
        new_snapshot = s.scalars(select(TakedownCheck.snapshot_id)).one()
        assert new_snapshot != s.scalar(select(Verdict.snapshot_id).where(Verdict.id == reopened.verdict_id))
        [entry] = s.scalars(select(AuditEntry).where(AuditEntry.action == "queue.reopen")).all()
        assert entry.actor == "system" and entry.target_id == str(item)
        assert entry.details["takedown_request_id"] == request.id and entry.details["snapshot_id"] == new_snapshot
        exports = s.scalar(select(func.count()).select_from(Export))
    # changed again: already waiting for a person, so not re-opened twice; the person sees the latest text
    server.routes["/news/9"] = _page("Sửa lần hai.")
    recheck_due_requests(_quick(runtime), now=T0 + timedelta(hours=30), everything=True)
    assert [a for _who, a, _t in builders.audit_trail(db)].count("queue.reopen") == 1
    with db.session() as s:
        latest = s.scalar(select(TakedownCheck.snapshot_id).order_by(TakedownCheck.id.desc()).limit(1))
        assert latest is not None and latest != new_snapshot
    # human decides: the analyst who confirmed may not (a reviewer's case), a reviewer outside the case does
    with pytest.raises(NotAllowed):
        builders.decide(db, "ana", item, "confirm")
    assert builders.claim(db, "cam", cases=True) == item
    outcome = builders.decide(db, "cam", item, "confirm", justification="Vẫn sai sự thật sau khi sửa")
    assert outcome.status == "confirmed" and outcome.status_before == "changed"
    after = get_request(db, actor=person("rita"), request_id=request.id)
    assert after.id == request.id and after.item_id == item and not after.needs_decision
    with db.session() as s:
        decision = s.get(Decision, outcome.decision_ids[0])
        assert decision is not None and decision.snapshot_id == latest and decision.supersedes_id == confirmed_id
        assert s.scalar(select(func.count()).select_from(Export)) == exports  # nothing sent by itself
    # cam undoes it: the item is changed again and the request waits for a person again
    builders.undo(db, "cam", item)
    assert get_request(db, actor=person("rita"), request_id=request.id).needs_decision
    with db.session() as s:
        assert s.get(QueueItem, item).status == "changed"  # type: ignore[union-attr]
    actions = [a for _who, a, _t in builders.audit_trail(db)]
    assert actions.count("takedown.decided") == 1 and actions.count("takedown.changed") == 2
