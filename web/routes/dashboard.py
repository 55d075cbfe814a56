"""The dashboard: what waits, what was decided today, by category and source, flags per day (SVG).

Days are calendar days in the display zone (``settings.display_timezone``), like every date on the pages.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date, tzinfo
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from review.compliance import daily_series
from review.permissions import allowed
from review.policy import CATEGORIES
from review.stats import DashboardStats, dashboard_stats
from review.takedowns import counts_by_status
from service.runtime import Runtime
from store.types import utcnow
from web.chart import bar_chart, grouped_bar_chart
from web.deps import DbSession, RuntimeDep, SignedIn
from web.render import render, translator
from web.routes.narratives import narratives_chart
from web.routes.takedowns import takedown_series
from web.security import AuthUser

router = APIRouter(include_in_schema=False)
CACHE_S = 60.0


def cached_stats(request: Request, session: Session, zone: tzinfo) -> DashboardStats:
    """The dashboard's numbers, counted over the whole queue at most once a minute per zone and local day (a new
    day, or another zone, is counted afresh at once)."""
    now = utcnow()
    key = (zone, now.astimezone(zone).date())
    cached: tuple[tuple[tzinfo, date], float, DashboardStats] | None = getattr(request.app.state, "dashboard", None)
    if cached is None or cached[0] != key or time.monotonic() - cached[1] > CACHE_S:
        cached = (key, time.monotonic(), dashboard_stats(session=session, now=now, zone=zone))
        request.app.state.dashboard = cached
    return cached[2]


def takedown_panel(runtime: Runtime, user: AuthUser, _: Callable[..., str]) -> dict[str, Any] | None:
    """For people who follow takedown requests, once there are any: the overdue count and sent / removed in time
    per day."""
    if not allowed(user.role, "takedown.view"):
        return None
    counts = counts_by_status(runtime.db, actor=user.actor)
    if not any(n for status, n in counts.items() if status != "overdue"):
        return None  # nothing sent yet: no panel
    days, series = daily_series(runtime.db, actor=user.actor, days=14)
    return {"overdue": counts["overdue"],
            "chart": grouped_bar_chart(days, takedown_series(series, _),
                                       title=_("Takedown requests sent and removed in time per day"))}


@router.get("/")
def dashboard(request: Request, user: SignedIn, session: DbSession, runtime: RuntimeDep) -> Response:
    stats = cached_stats(request, session, request.app.state.display_zone)
    category_max = max((n for _, n in stats.by_category), default=0)
    source_max = max((n for _, n in stats.by_source), default=0)
    _ = translator(request, user)
    return render(request, "dashboard.html", {
        "stats": stats,
        "chart": bar_chart(stats.per_day, unit=_("flagged"),
                           title=_("Posts flagged per day over the last %(n)s days", n=stats.days)),
        "category_labels": CATEGORIES,
        "category_max": category_max, "source_max": source_max,
        "flagged_total": sum(n for _, n in stats.per_day), "cache_s": int(CACHE_S),
        "takedowns": takedown_panel(runtime, user, _),
        "narratives_chart": narratives_chart(request, user, runtime),
    }, user=user)
