"""The dashboard: what waits, what was decided today, by category and source, flags per day (SVG)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from review.policy import CATEGORIES
from review.stats import dashboard_stats
from review.web.chart import bar_chart
from review.web.deps import DbSession, SignedIn
from review.web.render import render

router = APIRouter(include_in_schema=False)


@router.get("/")
def dashboard(request: Request, user: SignedIn, session: DbSession) -> Response:
    stats = dashboard_stats(session=session)
    category_max = max((n for _, n in stats.by_category), default=0)
    source_max = max((n for _, n in stats.by_source), default=0)
    return render(request, "dashboard.html", {
        "stats": stats, "chart": bar_chart(stats.per_day), "category_labels": CATEGORIES,
        "category_max": category_max, "source_max": source_max,
        "flagged_total": sum(n for _, n in stats.per_day),
    }, user=user)
