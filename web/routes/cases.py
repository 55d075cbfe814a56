"""The reviewers' queue (reviewers and admins): escalated and appealed items with the note that sent each one
there, and "Next case", which leases the most urgent one the person may decide (never one they took part in)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from review.cases import open_cases
from review.decisions import claim_next
from web.deps import CaseViewer, CurrentUser, DbSession, RuntimeDep
from web.render import render
from web.routes.items import claim_lease, just_decided

router = APIRouter(include_in_schema=False)


@router.get("/cases")
def cases_page(request: Request, user: CaseViewer, session: DbSession) -> Response:
    page = open_cases(session=session)
    return render(request, "cases.html", {"page": page, "empty": request.query_params.get("empty") == "1",
                                          "just_decided": just_decided(request.query_params)}, user=user)


@router.post("/cases/next")
def next_case(user: CurrentUser, runtime: RuntimeDep) -> Response:
    """Lease the next escalation or appeal for ``claim_minutes`` and open it; back to the list when none is left."""
    item_id = claim_next(runtime.db, user.actor, lease=claim_lease(runtime), cases=True)
    if item_id is None:
        return RedirectResponse("/cases?empty=1", status_code=303)
    return RedirectResponse(f"/items/{item_id}", status_code=303)
