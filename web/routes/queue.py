"""The queue page (filters, keyset paging, a count of results, saved filters), "next item", which leases the
most urgent item to the analyst, and bulk decisions on a filtered selection (reviewed on a page of their own
before anything is decided)."""

from __future__ import annotations

import time
from datetime import UTC, date, tzinfo
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from review.browse import SORTS, STATUS_CHOICES, QueueFilters, count_matching, filter_options, queue_page
from review.bulk import MAX_BULK, decide_many, preview_bulk
from review.claims import claim_notes
from review.decisions import Choice, claim_next
from review.errors import ActionError, InvalidInput
from review.permissions import allowed
from review.policy import CATEGORIES
from review.saved_filters import delete_filter, my_filters, save_filter
from service.explain import ensure_explained
from store.types import FIRST_DAY, LAST_DAY, usable_day, valid_id
from web.deps import CurrentUser, DbSession, QueueViewer, RuntimeDep
from web.errors import form_refusal_status
from web.render import is_htmx, render
from web.routes.items import claim_lease, just_decided
from web.security import AuthUser

router = APIRouter(include_in_schema=False)


def _float(value: str | None, low: float = 0.0, high: float = 1.0) -> float | None:
    try:
        number = float(value) if value not in (None, "") else None  # type: ignore[arg-type]
    except ValueError:
        return None
    return None if number is None or number != number else min(high, max(low, number))


def _int(value: str | None) -> int | None:
    try:
        number = int(value) if value not in (None, "") else None  # type: ignore[arg-type]
    except ValueError:
        return None
    return number if number is None or valid_id(number) else None


def parse_day(value: str | None) -> date | None:
    """A YYYY-MM-DD day a filter may use, or None (pages ignore what they cannot read)."""
    try:
        day = date.fromisoformat(value) if value else None
    except ValueError:
        return None
    return day if day is None or usable_day(day) else None


def _text(value: str | None, limit: int) -> str | None:
    return (value or "").replace("\x00", "").strip()[:limit] or None


def parse_filters(params: Any, zone: tzinfo = UTC, *, strict: bool = False) -> QueueFilters:
    """Filters from query parameters. Dates are days in ``zone`` (the pages': settings.display_timezone; the
    API's: UTC). Pages ignore what they cannot read; with ``strict`` (the API) it is refused with InvalidInput
    naming each parameter."""
    status = params.get("status") or "pending"
    sort = params.get("sort") or "priority"
    category = params.get("category") or None
    filters = QueueFilters(
        status=status if status in STATUS_CHOICES else "pending",
        source_id=_int(params.get("source")),
        platform=_text(params.get("platform"), 32),
        score_min=_float(params.get("score_min")), score_max=_float(params.get("score_max")),
        date_from=parse_day(params.get("date_from")), date_to=parse_day(params.get("date_to")),
        category=category if category in CATEGORIES else None, q=_text(params.get("q"), 200),
        sort=sort if sort in SORTS else "priority",  # type: ignore[arg-type]
        zone=zone,
    )
    if strict:
        unread = [name for name, value, read in (
            ("status", params.get("status"), filters.status), ("sort", params.get("sort"), filters.sort),
            ("source", params.get("source"), filters.source_id), ("category", category, filters.category),
            ("date_from", params.get("date_from"), filters.date_from),
            ("date_to", params.get("date_to"), filters.date_to),
            ("score_min", params.get("score_min"), filters.score_min),
            ("score_max", params.get("score_max"), filters.score_max)) if value not in (None, "") and (
                read is None or (name in ("status", "sort") and read != value))]
        if unread:
            raise InvalidInput("cannot use %(values)s (dates are YYYY-MM-DD from %(first)s to %(last)s; ids 1 .. "
                               "2**63-1; scores 0 to 1)", first=FIRST_DAY, last=LAST_DAY,
                               values=", ".join(f"{name}={params.get(name)!r}" for name in unread))
    return filters


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


COUNT_CAP = 10_000  # the queue counts its results up to here ("10,000+" beyond): a bounded walk at any size


@router.get("/queue")
def queue(request: Request, user: QueueViewer, session: DbSession, runtime: RuntimeDep,
          after: str | None = None) -> Response:
    filters = parse_filters(request.query_params, request.app.state.display_zone)
    page = queue_page(session=session, filters=filters, after=after[:200] if after else None)
    target = request.headers.get("hx-target", "") if is_htmx(request) else ""
    if after and target.startswith("more-"):
        return render(request, "queue.html", {"page": page, "params": filter_params(filters),
                                              "claim_notes": _claim_notes(session, page)}, user=user, block="rows")
    context = {
        "page": page, "filters": filters, "params": filter_params(filters), "after": after,
        "options": cached_filter_options(request, session), "sorts": SORTS, "status_choices": STATUS_CHOICES,
        "just_decided": just_decided(request.query_params), "empty": request.query_params.get("empty") == "1",
        "saved": my_filters(runtime.db, user.actor), "saved_name": request.query_params.get("saved", "")[:100],
        "can_claim": allowed(user.role, "item.claim"), "claim_notes": _claim_notes(session, page),
    }
    if target == "queue-results":
        return render(request, "queue.html", context, user=user, block="results")
    return render(request, "queue.html", context, user=user)


def _claim_notes(session: Any, page: Any) -> dict[int, Any]:
    """The known claims each listed post matched or was linked to ("matches claim #12, 0.91")."""
    return claim_notes(session, [row.post.id for row in page.rows])


@router.get("/queue/count")
def queue_count(request: Request, user: QueueViewer, session: DbSession) -> Response:
    """How many items match the filters (up to COUNT_CAP), and the bulk form when they are few enough. Loaded by
    the queue page after it shows its first rows: with a selective filter, counting walks every candidate."""
    filters = parse_filters(request.query_params, request.app.state.display_zone)
    context = {"filters": filters, "params": filter_params(filters), "count_cap": COUNT_CAP,
               "count": count_matching(session=session, filters=filters, cap=COUNT_CAP),
               "can_bulk": allowed(user.role, "item.decide"), "max_bulk": MAX_BULK}
    return render(request, "queue.html", context, user=user, block="count")


@router.post("/queue/next")
def next_item(user: CurrentUser, runtime: RuntimeDep) -> Response:
    """Lease the next item for ``claim_minutes`` and open it; back to the queue when nothing is left."""
    item_id = claim_next(runtime.db, user.actor, lease=claim_lease(runtime))
    if item_id is None:
        return RedirectResponse("/queue?empty=1", status_code=303)
    return RedirectResponse(f"/items/{item_id}", status_code=303)


@router.post("/queue/filters")
async def save_queue_filter(request: Request, user: CurrentUser, runtime: RuntimeDep) -> Response:
    """Save the queue's current filters under a name (the same name replaces them)."""
    form = await request.form()
    filters = parse_filters(form, request.app.state.display_zone)
    name = str(form.get("name", ""))[:200]
    saved = save_filter(runtime.db, user.actor, name, filter_params(filters))
    return RedirectResponse("/queue" + _query_string({**saved.params, "saved": saved.name}), status_code=303)


@router.post("/queue/filters/delete")
async def delete_queue_filter(request: Request, user: CurrentUser, runtime: RuntimeDep) -> Response:
    form = await request.form()
    delete_filter(runtime.db, user.actor, str(form.get("name", ""))[:200])
    return RedirectResponse("/queue", status_code=303)


def _query_string(params: dict[str, str]) -> str:
    return "?" + urlencode(params) if params else ""


def _choice(form: Any) -> Choice:
    return Choice(action=str(form.get("action", ""))[:16], category=str(form.get("category", ""))[:40] or None,
                  dismiss_reason=str(form.get("dismiss_reason", ""))[:40] or None,
                  justification=str(form.get("justification", ""))[:5000],
                  reference_url=str(form.get("reference_url", ""))[:2000] or None)


def _bulk_page(request: Request, user: AuthUser, context: dict[str, Any], exc: ActionError | None = None) -> Response:
    """The bulk page: the items to check, or the outcome; a refusal with its reason (403 and 404 as error pages)."""
    if exc is None:
        return render(request, "bulk.html", context, user=user)
    return render(request, "bulk.html", {**context, "error": exc}, user=user, status_code=form_refusal_status(exc))


@router.post("/queue/bulk/review")
async def review_bulk(request: Request, user: CurrentUser, runtime: RuntimeDep) -> Response:
    """The items a bulk decision would take, for the person to check (and untick) before anything is decided."""
    form = await request.form()
    filters = parse_filters(form, request.app.state.display_zone)
    context: dict[str, Any] = {"choice": _choice(form), "params": filter_params(filters), "rows": [],
                               "outcome": None, "max_bulk": MAX_BULK}
    try:
        context["rows"] = preview_bulk(runtime.db, user.actor, filters, context["choice"])
    except ActionError as exc:
        return _bulk_page(request, user, context, exc)
    return _bulk_page(request, user, context)


@router.post("/queue/bulk")
async def run_bulk(request: Request, user: CurrentUser, runtime: RuntimeDep) -> Response:
    """Decide the ticked items, each through the decide action; the page lists what was decided and what not."""
    form = await request.form()
    ids = [int(v) for v in form.getlist("item_id") if isinstance(v, str) and v.isdigit() and len(v) < 19]
    context: dict[str, Any] = {"choice": _choice(form), "rows": [], "outcome": None, "max_bulk": MAX_BULK,
                               "params": filter_params(parse_filters(form, request.app.state.display_zone))}
    try:
        ensure_explained(runtime, ids[:MAX_BULK])  # nobody decides without the evidence
        context["outcome"] = decide_many(runtime.db, user.actor, ids, context["choice"])
    except ActionError as exc:
        return _bulk_page(request, user, context, exc)
    return _bulk_page(request, user, context)
