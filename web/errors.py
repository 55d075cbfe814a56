"""How the web app answers an action's refusal: one status per kind of ``review.errors`` exception."""

from __future__ import annotations

from review.errors import ActionError, Gone, InvalidInput, NotAllowed, NotFound, Refused

__all__ = ["TITLES", "status_for"]

_STATUSES: tuple[tuple[type[ActionError], int], ...] = (
    (NotAllowed, 403), (NotFound, 404), (InvalidInput, 422), (Refused, 409), (Gone, 410))
TITLES = {403: "Not allowed", 404: "Not found", 409: "Not possible now", 410: "Gone", 422: "Invalid request"}


def status_for(exc: ActionError) -> int:
    """The HTTP status for a refusal (400 for a kind this table does not know)."""
    return next((status for kind, status in _STATUSES if isinstance(exc, kind)), 400)
