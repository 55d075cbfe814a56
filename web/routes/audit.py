"""The audit log (admin): every decision, reversal, login, export and schedule change; read-only, paged."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from review.browse import audit_page
from web.deps import AuditViewer, DbSession
from web.params import OptionalRowIdQuery
from web.render import is_htmx, render

router = APIRouter(include_in_schema=False)


@router.get("/admin/audit")
def audit_log(request: Request, user: AuditViewer, session: DbSession, before: OptionalRowIdQuery = None,
              actor: str | None = None, action: str | None = None) -> Response:
    actor = (actor or "").strip()[:64] or None
    action = (action or "").strip()[:64] or None
    page = audit_page(session=session, before=before, actor=actor, action=action)
    params = {k: v for k, v in {"actor": actor, "action": action}.items() if v}
    context = {"page": page, "params": params, "actor": actor or "", "action": action or ""}
    if is_htmx(request) and before and request.headers.get("hx-target", "").startswith("audit-more"):
        return render(request, "audit.html", context, user=user, block="rows")
    return render(request, "audit.html", context, user=user)
