"""The audit log (admin), read-only and paged: each entry as a sentence, filtered by kind of entry (from a list),
by person and by day (in the display zone); routine entries (flags, claims, sign-ins) are hidden unless asked
for. The JSON API (``/api/audit``) keeps returning the raw entries."""

from __future__ import annotations

from datetime import timedelta
from functools import partial

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select

from review.browse import audit_page
from store.models import User
from store.types import day_start
from web.audit_text import ACTION_GROUPS, ROUTINE, actions_for, details_text, sentence
from web.deps import AuditViewer, DbSession
from web.params import OptionalRowIdQuery
from web.render import is_htmx, page_language, render
from web.routes.queue import parse_day

router = APIRouter(include_in_schema=False)


@router.get("/admin/audit")
def audit_log(request: Request, user: AuditViewer, session: DbSession, before: OptionalRowIdQuery = None,
              actor: str | None = None, action: str | None = None) -> Response:
    params = request.query_params
    zone = request.app.state.display_zone
    actor = (actor or "").strip()[:64] or None
    choice = (action or "").strip()[:64]
    actions = actions_for(choice)
    day_from, day_to = parse_day(params.get("date_from")), parse_day(params.get("date_to"))
    routine = params.get("routine") == "1"
    hidden = () if routine else tuple(a for a in ROUTINE if a not in actions)
    page = audit_page(session=session, before=before, actor=actor, actions=actions, hidden=hidden,
                      since=day_start(day_from, zone) if day_from else None,
                      until=day_start(day_to + timedelta(days=1), zone) if day_to else None)
    shown = {"actor": actor, "action": choice if actions else None, "date_from": day_from and day_from.isoformat(),
             "date_to": day_to and day_to.isoformat(), "routine": "1" if routine else None}
    people = ["system", "cli", *session.scalars(select(User.username).order_by(User.username))]
    if actor and actor not in people:
        people.append(actor)
    context = {"page": page, "params": {k: v for k, v in shown.items() if v}, "actor": actor or "",
               "action": choice if actions else "", "groups": ACTION_GROUPS, "people": people,
               "date_from": shown["date_from"] or "", "date_to": shown["date_to"] or "", "routine": routine,
               "sentence": partial(sentence, language=page_language(request, user)), "details_text": details_text}
    if is_htmx(request) and before and request.headers.get("hx-target", "").startswith("audit-more"):
        return render(request, "audit.html", context, user=user, block="rows")
    return render(request, "audit.html", context, user=user)
