"""WARC evidence: a confirmed post's page is archived after the decision (outside its transaction), with the
HTTP headers, capture time and SHA-256, listed in the next export's manifest and handed out only while intact."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

import builders
from config import AppConfig
from crawlkit import LocalServer, Resp
from export_builders import confirm, people, settings_for
from review.actors import person
from review.errors import NotAllowed, Refused
from review.evidence import list_evidence, open_evidence, pending_evidence
from review.exports import run_export
from service.evidence import archive_new_evidence
from service.runtime import Runtime

PAGE = "<html><body><article><p>Tin đồn: uống nước muối chữa khỏi bệnh.</p></article></body></html>"


def _runtime(runtime: Runtime, tmp_path: Path) -> Runtime:
    settings = runtime.config.settings.model_copy(update={"archive_dir": tmp_path / "archive", "max_retries": 0})
    return Runtime(config=AppConfig(settings=settings), db=runtime.db)


def test_confirmed_posts_are_archived_as_warc(runtime: Runtime, server: LocalServer, tmp_path: Path) -> None:
    rt = _runtime(runtime, tmp_path)
    db = rt.db
    who = people(db)
    server.routes["/news/1"] = Resp(200, PAGE, headers={"X-Trang": "1", "ETag": '"v1"'})
    server.routes["/news/2"] = Resp(404, "không tìm thấy")
    ok = builders.flag(db, "ok", url=server.url("/news/1"))
    gone = builders.flag(db, "gone", url=server.url("/news/2"))
    builders.flag(db, "undecided", url=server.url("/news/1"))  # nobody confirmed it: never archived
    blocked = builders.flag(db, "blocked", url="http://0.0.0.0:1/x")  # refused before any connection
    for item in (ok, gone, blocked):
        confirm(db, item, who["ana"])
    assert len(pending_evidence(db)) == 3

    summary = archive_new_evidence(rt)
    assert (summary.archived, summary.failed) == (1, 2)
    assert len(server.hits_for("/news/1")) == 1
    rita = person("rita")
    with db.session() as s:
        from store.models import QueueItem

        ok_post = s.get(QueueItem, ok).post_id
        blocked_post = s.get(QueueItem, blocked).post_id
    [archive] = list_evidence(db, actor=rita, post_id=ok_post)
    assert archive.status == "archived" and archive.http_status == 200 and archive.captured_at is not None
    path = tmp_path / "archive" / archive.file_name
    data = path.read_bytes()
    assert hashlib.sha256(data).hexdigest() == archive.sha256 and len(data) == archive.size
    records, body = [], b""
    with path.open("rb") as fh:
        for rec in ArchiveIterator(fh):
            records.append(rec)
            if rec.rec_type == "response":
                body = rec.content_stream().read()
    assert [r.rec_type for r in records] == ["warcinfo", "request", "response"]
    response = records[2]
    assert body == PAGE.encode() and hashlib.sha256(body).hexdigest() == archive.payload_sha256
    assert response.http_headers.get_header("X-Trang") == "1"
    assert response.http_headers.get_statuscode() == "200"
    assert response.rec_headers.get_header("WARC-Target-URI") == server.url("/news/1")
    [refused] = list_evidence(db, actor=rita, post_id=blocked_post)
    assert refused.status == "failed" and refused.file_name is None

    # the next export's manifest lists the evidence; the file is handed out only while it matches
    info = run_export(db, settings_for(tmp_path), actor="rita", since_last=False)
    assert [(e["post_id"], e["sha256"]) for e in info.manifest["evidence"]] == [(ok_post, archive.sha256)]
    assert open_evidence(db, tmp_path / "archive", actor=rita, archive_id=archive.id) == (path, archive.sha256)
    with pytest.raises(NotAllowed):
        open_evidence(db, tmp_path / "archive", actor=person("nobody"),
                      archive_id=archive.id)
    path.write_bytes(data + b"x")
    with pytest.raises(Refused):
        open_evidence(db, tmp_path / "archive", actor=rita, archive_id=archive.id)
    # failed tries are tried again, three times in all
    archive_new_evidence(rt)
    archive_new_evidence(rt)
    assert archive_new_evidence(rt).failed == 0 and pending_evidence(db) == []


def test_an_oversized_page_is_not_archived(runtime: Runtime, server: LocalServer, tmp_path: Path) -> None:
    settings = runtime.config.settings.model_copy(update={"archive_dir": tmp_path / "archive", "max_retries": 0,
                                                          "max_response_bytes": 4096})
    rt = Runtime(config=AppConfig(settings=settings), db=runtime.db)
    who = people(rt.db)
    server.routes["/big"] = Resp(200, "<html><body><p>" + "tin giả " * 2000 + "</p></body></html>")
    confirm(rt.db, builders.flag(rt.db, "big", url=server.url("/big")), who["ana"])
    summary = archive_new_evidence(rt)
    assert (summary.archived, summary.failed) == (0, 1) and "max_bytes" in summary.errors[0]
    assert not list((tmp_path / "archive").glob("*.warc.gz"))
