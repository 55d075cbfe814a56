"""The dashboard: what waits, what was decided today, by category and source, flags per day (SVG)."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import Response

from review.policy import CATEGORIES
from review.stats import dashboard_stats
from review.web.chart import bar_chart
from review.web.deps import DbSession, SignedIn
from review.web.render import render

router = APIRouter(include_in_schema=False)
CACHE_S = 60.0


@router.get("/")
def dashboard(request: Request, user: SignedIn, session: DbSession) -> Response:
    cached = getattr(request.app.state, "dashboard", None)
    if cached is None or time.monotonic() - cached[0] > CACHE_S:  # counts over the whole queue: once a minute
        cached = (time.monotonic(), dashboard_stats(session=session))
        request.app.state.dashboard = cached
    stats = cached[1]
    category_max = max((n for _, n in stats.by_category), default=0)
    source_max = max((n for _, n in stats.by_source), default=0)
    utc_midnight = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return render(request, "dashboard.html", {
        "stats": stats, "utc_midnight": utc_midnight,
        "chart": bar_chart(stats.per_day, title=f"Posts flagged per UTC day over the last {stats.days} days"),
        "category_labels": CATEGORIES,
        "category_max": category_max, "source_max": source_max,
        "flagged_total": sum(n for _, n in stats.per_day), "cache_s": int(CACHE_S),
    }, user=user)
