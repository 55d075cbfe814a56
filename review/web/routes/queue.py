"""The queue page (filters, keyset paging) and "next item", which leases the most urgent item to the analyst."""

from __future__ import annotations

import time
from datetime import UTC, date, timedelta, tzinfo
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from review.browse import SORTS, STATUS_CHOICES, QueueFilters, filter_options, queue_page
from review.policy import CATEGORIES
from review.queue import claim_next
from review.web.deps import Analyst, DbSession, RuntimeDep
from review.web.render import is_htmx, render
from store.models import User

router = APIRouter(include_in_schema=False)


def _float(value: str | None, low: float = 0.0, high: float = 1.0) -> float | None:
    try:
        number = float(value) if value not in (None, "") else None  # type: ignore[arg-type]
    except ValueError:
        return None
    return None if number is None or number != number else min(high, max(low, number))


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None  # type: ignore[arg-type]
    except ValueError:
        return None


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def parse_filters(params: Any, zone: tzinfo = UTC) -> QueueFilters:
    """Filters from query parameters; anything unreadable is ignored rather than refused. Dates are days in
    ``zone`` (the pages': settings.display_timezone; the API's: UTC)."""
    status = params.get("status") or "pending"
    sort = params.get("sort") or "priority"
    category = params.get("category") or None
    q = (params.get("q") or "").strip()[:200] or None
    return QueueFilters(
        status=status if status in STATUS_CHOICES else "pending",
        source_id=_int(params.get("source")),
        platform=(params.get("platform") or "").strip()[:32] or None,
        score_min=_float(params.get("score_min")), score_max=_float(params.get("score_max")),
        date_from=_date(params.get("date_from")), date_to=_date(params.get("date_to")),
        category=category if category in CATEGORIES else None, q=q,
        sort=sort if sort in SORTS else "priority",  # type: ignore[arg-type]
        zone=zone,
    )


def filter_params(filters: QueueFilters) -> dict[str, str]:
    """The query string parameters that reproduce these filters (for paging links)."""
    out = {
        "status": filters.status, "sort": filters.sort,
        "source": "" if filters.source_id is None else str(filters.source_id),
        "platform": filters.platform or "", "category": filters.category or "", "q": filters.q or "",
        "score_min": "" if filters.score_min is None else str(filters.score_min),
        "score_max": "" if filters.score_max is None else str(filters.score_max),
        "date_from": filters.date_from.isoformat() if filters.date_from else "",
        "date_to": filters.date_to.isoformat() if filters.date_to else "",
    }
    return {k: v for k, v in out.items() if v}


_OPTIONS_TTL_S = 60.0


def cached_filter_options(request: Request, session: Any) -> dict[str, list[Any]]:
    """Sources and platforms change rarely and listing platforms scans posts: keep them for a minute."""
    cached = getattr(request.app.state, "filter_options", None)
    now = time.monotonic()
    if cached is None or now - cached[0] > _OPTIONS_TTL_S:
        cached = (now, filter_options(session=session))
        request.app.state.filter_options = cached
    return cached[1]  # type: ignore[no-any-return]


@router.get("/queue")
def queue(request: Request, user: Analyst, session: DbSession, after: str | None = None) -> Response:
    filters = parse_filters(request.query_params, request.app.state.display_zone)
    page = queue_page(session=session, filters=filters, after=after[:200] if after else None)
    context = {
        "page": page, "filters": filters, "params": filter_params(filters), "after": after,
        "options": cached_filter_options(request, session), "sorts": SORTS, "status_choices": STATUS_CHOICES,
        "done": _int(request.query_params.get("done")), "done_action": request.query_params.get("action", ""),
        "empty": request.query_params.get("empty") == "1",
    }
    if is_htmx(request):
        target = request.headers.get("hx-target", "")
        if target == "queue-results":
            return render(request, "queue.html", context, user=user, block="results")
        if after and target.startswith("more-"):
            return render(request, "queue.html", context, user=user, block="rows")
    return render(request, "queue.html", context, user=user)


@router.post("/queue/next")
def next_item(user: Analyst, runtime: RuntimeDep) -> Response:
    """Lease the next item for ``claim_minutes`` and open it; back to the queue when nothing is left."""
    lease = timedelta(minutes=runtime.config.settings.claim_minutes)
    with runtime.db.write() as session:
        item = claim_next(session=session, user=session.get(User, user.id), lease=lease)  # type: ignore[arg-type]
        item_id = item.id if item else None
    if item_id is None:
        return RedirectResponse("/queue?empty=1", status_code=303)
    return RedirectResponse(f"/items/{item_id}", status_code=303)
