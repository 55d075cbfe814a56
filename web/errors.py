"""How the web app answers an action's refusal: one status per kind of ``review.errors`` exception."""

from __future__ import annotations

from config.i18n import N_
from review.errors import ActionError, Gone, InvalidInput, NotAllowed, NotFound, Refused

__all__ = ["form_refusal_status", "TITLES", "status_for"]

_STATUSES: tuple[tuple[type[ActionError], int], ...] = (
    (NotAllowed, 403), (NotFound, 404), (InvalidInput, 422), (Refused, 409), (Gone, 410))
TITLES = {403: N_("Not allowed"), 404: N_("Not found"), 409: N_("Not possible now"), 410: N_("Gone"),
          422: N_("Invalid request")}


def status_for(exc: ActionError) -> int:
    """The HTTP status for a refusal (400 for a kind this table does not know)."""
    return next((status for kind, status in _STATUSES if isinstance(exc, kind)), 400)


def form_refusal_status(exc: ActionError) -> int:
    """The status of a form's page shown again with the refusal beside the form; a 403 or 404 is re-raised for
    the app's error page instead."""
    status = status_for(exc)
    if status in (403, 404):
        raise exc
    return status
