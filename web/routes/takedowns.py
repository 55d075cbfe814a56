"""Reviewers' Takedowns page: requests with filters (recipient, status, overdue), the compliance summary and a
chart; one request with its check history, its item and evidence, and a form to change its status with a note.
Also ``/evidence/{id}``: a WARC file, checked against its SHA-256 before it is handed out.

Everything goes through ``review.takedowns``, ``review.compliance`` and ``review.evidence``, which check the
role again and write the audit log.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, RedirectResponse, Response

from review.compliance import compliance, daily_series
from review.errors import ActionError
from review.evidence import list_evidence, open_evidence
from review.takedown_rules import MANUAL, STATUSES
from review.takedowns import counts_by_status, get_request, list_requests, mark, recipients
from web.chart import grouped_bar_chart
from web.deps import ItemViewer, RuntimeDep, TakedownViewer
from web.errors import form_refusal_status
from web.params import RowId
from web.render import render, translator
from web.security import AuthUser

router = APIRouter(include_in_schema=False)


@router.get("/takedowns")
def takedowns_page(request: Request, user: TakedownViewer, runtime: RuntimeDep, recipient: str = "",
                   status: str = "", overdue: str = "") -> Response:
    db = runtime.db
    chosen = {"recipient": recipient[:200], "status": status if status in STATUSES else "",
              "overdue": "1" if overdue == "1" else ""}
    requests = list_requests(db, actor=user.actor, recipient=chosen["recipient"] or None,
                             status=chosen["status"] or None, overdue=bool(chosen["overdue"]), limit=500)
    days, series = daily_series(db, actor=user.actor, days=14)
    _ = translator(request, user)
    context = {
        "requests": requests, "chosen": chosen, "statuses": STATUSES,
        "recipients": recipients(db, actor=user.actor), "summary": compliance(db, actor=user.actor),
        "chart": grouped_bar_chart(days, takedown_series(series, _),
                                   title=_("Takedown requests sent and removed in time per day")),
        "overdue_count": counts_by_status(db, actor=user.actor)["overdue"],
    }
    return render(request, "takedowns.html", context, user=user)


def takedown_series(series: dict[str, list[int]], _: Callable[..., str]) -> dict[str, list[int]]:
    """The chart's series (sent, removed in time) named in the page's language."""
    names = {"sent": _("sent"), "removed in time": _("removed in time")}
    return {names.get(key, key): values for key, values in series.items()}


def _detail(request: Request, user: AuthUser, runtime: Any, request_id: int, *, error: ActionError | None = None,
            form: dict[str, str] | None = None, status_code: int = 200) -> Response:
    info = get_request(runtime.db, actor=user.actor, request_id=request_id)
    context = {
        "r": info, "next_statuses": sorted(MANUAL.get(info.status, frozenset())), "error": error,
        "form": form or {}, "archives": list_evidence(runtime.db, actor=user.actor, post_id=info.post_id),
        "flash": "saved" if request.query_params.get("done") == "marked" else None,
    }
    return render(request, "takedown.html", context, user=user, status_code=status_code)


@router.get("/takedowns/{request_id}")
def takedown_page(request: Request, request_id: RowId, user: TakedownViewer, runtime: RuntimeDep) -> Response:
    return _detail(request, user, runtime, request_id)


@router.post("/takedowns/{request_id}/mark")
async def takedown_mark(request: Request, request_id: RowId, user: TakedownViewer, runtime: RuntimeDep) -> Response:
    raw = await request.form()
    form = {k: str(raw.get(k, ""))[:2100] for k in ("status", "note", "ref")}
    try:
        mark(runtime.db, actor=user.actor, request_id=request_id, status=form["status"], note=form["note"],
             recipient_ref=form["ref"] or None, watch_days=runtime.config.settings.takedown_watch_days)
    except ActionError as exc:
        return _detail(request, user, runtime, request_id, error=exc, form=form,
                       status_code=form_refusal_status(exc))
    return RedirectResponse(f"/takedowns/{request_id}?{urlencode({'done': 'marked'})}", status_code=303)


@router.get("/evidence/{archive_id}")
def evidence_file(archive_id: RowId, user: ItemViewer, runtime: RuntimeDep) -> Response:
    path, digest = open_evidence(runtime.db, runtime.config.settings.archive_dir, actor=user.actor,
                                 archive_id=archive_id)
    return FileResponse(path, media_type="application/warc", filename=path.name,
                        headers={"X-Content-SHA256": digest, "Cache-Control": "no-store"})
