"""Reviewers' export page and API in-process on SQLite and PostgreSQL: profiles, preview (escaped, confirmed
decisions only), run, download checked against the manifest, tampered and missing files, role refusals."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from sqlalchemy import select

from builders import decide
from service.runtime import Runtime
from store.models import AuditEntry
from web_support import HOSTILE, csrf_of, flag, signed_in


def _confirm(runtime: Runtime, item_id: int, username: str) -> None:
    decide(runtime.db, username, item_id, "confirm", justification="Bộ Y tế đã bác bỏ <i>tin</i> này",
           reference_url="https://moh.gov.vn/x")


def _actions(runtime: Runtime, prefix: str) -> list[AuditEntry]:
    with runtime.db.session() as s:
        return list(s.scalars(select(AuditEntry).where(AuditEntry.action.startswith(prefix)).order_by(AuditEntry.id)))


def test_reviewer_previews_runs_and_downloads_an_export(rt: Runtime) -> None:
    ana = signed_in(rt, "ana")  # an analyst decides; the reviewer exports
    hostile = flag(rt.db, "evil", text=HOSTILE, source="vnexpress")
    plain = flag(rt.db, "plain", source="vnexpress")
    flag(rt.db, "pending-only", text="Tin đồn CHỈ-MÔ-HÌNH-GẮN-CỜ chưa ai quyết định", source="vnexpress")
    _confirm(rt, hostile, "ana")
    _confirm(rt, plain, "ana")
    assert ana.get("/exports").status_code == 403
    rev = signed_in(rt, "rita", "reviewer")
    token = csrf_of(rev, "/exports")
    saved = rev.post("/exports/profiles", data={"csrf_token": token, "name": "Bộ TTTT", "recipient": "mic.gov.vn",
                                               "format": "csv", "source": "vnexpress"}, follow_redirects=False)
    assert saved.status_code == 303
    bad = rev.post("/exports/profiles", data={"csrf_token": token, "name": "x", "format": "csv",
                                             "date_from": "2024-05-02", "date_to": "2024-05-01"})
    assert bad.status_code == 422 and "date range is empty" in bad.text
    preview = rev.post("/exports/preview", data={"csrf_token": token, "profile": "Bộ TTTT"})
    assert preview.status_code == 200
    assert re.search(r'id="takedown-count">2<', preview.text) and re.search(r'id="retraction-count">0<', preview.text)
    assert preview.text.count('class="preview-row"') == 2
    assert "&lt;script&gt;alert(" in preview.text and "<script>alert(" not in preview.text
    assert "&lt;i&gt;tin&lt;/i&gt;" in preview.text
    assert "CHỈ-MÔ-HÌNH-GẮN-CỜ" not in preview.text  # only confirmed decisions
    ran = rev.post("/exports/run", data={"csrf_token": token, "profile": "Bộ TTTT"}, follow_redirects=False)
    assert ran.status_code == 303
    export_id = int(re.search(r"created=(\d+)", ran.headers["location"]).group(1))
    page = rev.get(ran.headers["location"])
    assert f'id="export-{export_id}"' in page.text and f"/exports/{export_id}/download/main" in page.text
    info = rev.get(f"/api/exports/{export_id}").json()
    assert info["row_count"] == 2 and info["created_by"] == "rita" and info["profile"] == "Bộ TTTT"
    download = rev.get(f"/exports/{export_id}/download/main")
    assert download.status_code == 200
    assert hashlib.sha256(download.content).hexdigest() == info["sha256"] == info["files"][0]["sha256"]
    assert "CHỈ-MÔ-HÌNH-GẮN-CỜ" not in download.content.decode("utf-8-sig")
    api_bytes = rev.get(f"/api/exports/{export_id}/files/main").content
    assert api_bytes == download.content
    again = rev.post("/exports/run", data={"csrf_token": token, "profile": "Bộ TTTT"}, follow_redirects=False)
    assert again.status_code == 409 and "nothing new to export for Bộ TTTT" in again.text  # since the last export
    assert re.search(r'id="run-error"[^>]*>nothing new', again.text)
    empty = rev.post("/api/exports", headers={"X-CSRF-Token": token}, json={"profile": "Bộ TTTT"})
    assert empty.status_code == 409 and "nothing was recorded" in empty.json()["detail"]
    assert [e["id"] for e in rev.get("/api/exports").json()] == [export_id]
    assert [e.actor for e in _actions(rt, "export.create")] == ["rita"]
    assert [e.actor for e in _actions(rt, "export.preview")] == ["rita"]
    assert len(_actions(rt, "export.download")) == 2


def test_tampered_or_missing_files_are_refused(rt: Runtime) -> None:
    signed_in(rt, "ana")
    _confirm(rt, flag(rt.db, "a"), "ana")
    rev = signed_in(rt, "rita", "reviewer")
    token = csrf_of(rev, "/exports")
    made = rev.post("/api/exports", headers={"X-CSRF-Token": token}, json={"format": "jsonl"})
    assert made.status_code == 201
    info = made.json()
    path = Path(rt.config.settings.exports_dir) / info["files"][0]["name"]
    path.write_bytes(path.read_bytes() + b"\n{}")
    changed = rev.get(f"/exports/{info['id']}/download/main")
    assert changed.status_code == 409 and "no longer matches its manifest" in changed.text
    assert "Export file changed" in changed.text
    assert rev.get(f"/api/exports/{info['id']}/files/main").status_code == 409
    path.unlink()
    missing = rev.get(f"/exports/{info['id']}/download/main")
    assert missing.status_code == 410 and "missing" in missing.text
    assert rev.get("/exports/999/download/main").status_code == 404
    assert len(_actions(rt, "export.download_refused")) == 3


def test_export_api_roles_and_profiles(rt: Runtime) -> None:
    ana = signed_in(rt, "ana")
    token = csrf_of(ana)
    for method, path in (("get", "/api/exports"), ("post", "/api/exports"), ("post", "/api/exports/preview"),
                         ("get", "/api/exports/profiles"), ("get", "/api/exports/1/files/main")):
        response = getattr(ana, method)(path, headers={"X-CSRF-Token": token}, **({"json": {}} if method == "post"
                                                                                    else {}))
        assert response.status_code == 403, path
    assert not _actions(rt, "export.create")
    denied = [e.target_id for e in _actions(rt, "access.denied")]
    assert "/api/exports" in denied and "/api/exports/preview" in denied
    op = signed_in(rt, "olga", "operator")
    assert op.get("/exports").status_code == 403
    rev = signed_in(rt, "rita", "reviewer")
    head = {"X-CSRF-Token": csrf_of(rev, "/exports")}
    assert rev.put("/api/exports/profiles/mic", json={"recipient": "mic", "format": "xlsx"}).status_code == 403
    put = rev.put("/api/exports/profiles/mic", headers=head, json={"recipient": "mic", "format": "xlsx",
                                                                  "filters": {"category": "false_claim"}})
    assert put.status_code == 200 and put.json()["filters"] == {"category": ["false_claim"]}
    assert [p["name"] for p in rev.get("/api/exports/profiles").json()] == ["mic"]
    bad = rev.post("/api/exports/preview", headers=head, json={"filters": {"category": "nope"}})
    assert bad.status_code == 422 and "unknown category" in bad.json()["detail"]
    page = rev.get("/exports?profile=mic")
    assert "Change profile mic" in page.text
    assert rev.delete("/api/exports/profiles/mic", headers=head).status_code == 204
    assert rev.get("/api/exports/profiles").json() == []
