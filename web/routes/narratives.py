"""Narratives and alerts on the pages: the list with a chart per day and the spike alerts, one narrative's page
(keyword phrases, claims, items, counts per day, hour and source), and the admins' webhook delivery log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from review.errors import ActionError
from review.narratives import NarrativeRow, alerts, daily_counts, narrative_detail, narratives
from review.permissions import allowed
from review.webhooks import add_webhook, deliveries, webhooks
from store.models import WEBHOOK_EVENTS
from web.chart import BarChart, bar_chart, grouped_bar_chart
from web.deps import AuthUser, RuntimeDep, require
from web.errors import form_refusal_status
from web.params import RowId
from web.render import render, translator

router = APIRouter(include_in_schema=False)

NarrativeViewer = Annotated[AuthUser, Depends(require("narrative.view"))]
WebhookViewer = Annotated[AuthUser, Depends(require("webhook.view"))]
CHART_DAYS = 14


def narratives_chart(request: Request, user: AuthUser, runtime: RuntimeDep, rows: list[NarrativeRow] | None = None
                     ) -> BarChart | None:
    """Posts per day of the three busiest narratives (None when there are none or the role may not see them)."""
    if not allowed(user.role, "narrative.view"):
        return None
    rows = narratives(runtime.db, user.actor) if rows is None else rows
    top = rows[:3]
    if not top:
        return None
    calendar, counts = daily_counts(runtime.db, user.actor, [r.id for r in top], days=CHART_DAYS,
                                    zone=request.app.state.display_zone)
    _ = translator(request, user)
    return grouped_bar_chart(calendar, {f"#{r.id} {r.label}": counts[r.id] for r in top},
                             title=_("Posts per day, the busiest narratives, last %(n)s days", n=CHART_DAYS))


@router.get("/narratives")
def narratives_page(request: Request, user: NarrativeViewer, runtime: RuntimeDep) -> Response:
    rows = narratives(runtime.db, user.actor)
    return render(request, "narratives.html", {"rows": rows, "alerts": alerts(runtime.db, user.actor, limit=50),
                                               "chart": narratives_chart(request, user, runtime, rows)}, user=user)


@router.get("/narratives/{narrative_id}")
def narrative_page(request: Request, narrative_id: RowId, user: NarrativeViewer, runtime: RuntimeDep) -> Response:
    zone = request.app.state.display_zone
    detail = narrative_detail(runtime.db, user.actor, narrative_id, zone=zone)
    calendar, counts = daily_counts(runtime.db, user.actor, [narrative_id], days=CHART_DAYS, zone=zone)
    _ = translator(request, user)
    chart = bar_chart(list(zip(calendar, counts[narrative_id], strict=True)), unit=_("posts"),
                      title=_("Posts of this narrative per day, last %(n)s days", n=CHART_DAYS))
    hour_max = max((n for _h, n in detail.per_hour), default=0)
    return render(request, "narrative.html", {"d": detail, "n": detail.row, "chart": chart, "hour_max": hour_max},
                  user=user)


def _webhooks_page(request: Request, user: AuthUser, runtime: RuntimeDep, *, status_code: int = 200,
                   error: ActionError | None = None, added: object = None) -> Response:
    return render(request, "webhooks.html", {
        "hooks": webhooks(runtime.db, user.actor), "rows": deliveries(runtime.db, user.actor, limit=200),
        "events": WEBHOOK_EVENTS, "error": error, "added": added}, user=user, status_code=status_code)


@router.get("/admin/webhooks")
def webhooks_page(request: Request, user: WebhookViewer, runtime: RuntimeDep) -> Response:
    return _webhooks_page(request, user, runtime)


@router.post("/admin/webhooks")
async def webhooks_add(request: Request, user: WebhookViewer, runtime: RuntimeDep,
                       url: Annotated[str, Form(max_length=2000)] = "",
                       min_score: Annotated[float, Form(ge=0, le=1)] = 0.0) -> Response:
    form = await request.form()
    events = [str(e) for e in form.getlist("events")]
    try:
        hook = add_webhook(runtime.db, user.actor, url=url, events=events, min_score=min_score,
                           allow_networks=runtime.config.settings.allow_networks)
    except ActionError as exc:
        return _webhooks_page(request, user, runtime, status_code=form_refusal_status(exc), error=exc)
    return _webhooks_page(request, user, runtime, added=hook) if hook.secret else RedirectResponse(
        "/admin/webhooks", status_code=303)
