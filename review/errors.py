"""What an action can refuse, as exceptions whose message a person can read as is.

Every action (``review.decisions``, ``review.users``, ``review.exports``, ``service.sources``, ...) raises one
of these; the web pages, the JSON API and the command line translate them and check nothing themselves::

    ActionError            base class: catch this in an adapter
    ├── NotFound           no such item, source, user, export or profile            (HTTP 404)
    ├── NotAllowed         the role may not do this, or the person is not active   (HTTP 403)
    ├── InvalidInput       a value that cannot be used: say what to change          (HTTP 422)
    ├── Refused            the rules or the current state forbid it now             (HTTP 409)
    │   ├── LeaseHeld      another person holds the item's lease
    │   ├── NotAnotherPerson   an appeal or escalation needs a person not yet involved
    │   └── WrongState     the item is not in a state this action applies to
    └── Gone               something kept is missing (an export file)               (HTTP 410)
"""

from __future__ import annotations

from datetime import datetime

from config.i18n import N_
from config.problems import Sentence

__all__ = [
    "ActionError",
    "Gone",
    "InvalidInput",
    "LeaseHeld",
    "NotAllowed",
    "NotAnotherPerson",
    "NotFound",
    "Phrase",
    "Refused",
    "WrongState",
]


class ActionError(Exception):
    """Base class of every refusal; ``str(exc)`` is a readable sentence (English).

    Raised as ``NotFound("there is no queue item #%(id)s", id=7)``, the sentence is kept as ``template`` and
    ``params`` too, so that pages and the CLI can show it in the reader's language (``web.i18n``)."""

    def __init__(self, message: str = "", /, **params: object) -> None:
        self.template, self.params = message, params
        super().__init__(message % params if params else message)

    @property
    def message(self) -> str:
        return str(self)


#: part of a refusal's sentence (where in a file, "claim 3"): English ``template`` and ``params``, translated with
#: the sentence it is put in (``web.i18n.said``); the one kind of translatable sentence, ``config.Sentence``
Phrase = Sentence


class NotFound(ActionError, LookupError):
    """No such thing."""


class NotAllowed(ActionError, PermissionError):
    """The actor's role does not allow this action, or the person is unknown or deactivated."""


class InvalidInput(ActionError, ValueError):
    """A value that cannot be used; the message names it and says what is expected."""


class Refused(ActionError):
    """The action is well formed and allowed for the role, but the rules or the state forbid it now."""


class Gone(ActionError):
    """Something that was kept is no longer there."""


class LeaseHeld(Refused):
    """Another person holds the item's lease (from "Next item") until ``until``."""

    def __init__(self, item_id: int, holder: str, until: datetime) -> None:
        self.item_id, self.holder, self.until = item_id, holder, until
        super().__init__("item %(id)s is claimed by %(name)s until %(time)s UTC", id=item_id, name=holder,
                         time=until.strftime("%H:%M"))


class NotAnotherPerson(Refused):
    """An appealed, escalated or changed item is decided by someone who has not confirmed, dismissed, appealed
    or escalated it in the same case; ``took_part_as`` is what this person did (confirm, appeal, ...)."""

    _DID = {"confirm": "confirmed", "dismiss": "dismissed", "appeal": "appealed", "escalate": "escalated"}

    def __init__(self, item_id: int, status: str, took_part_as: str) -> None:
        self.item_id, self.status, self.took_part_as = item_id, status, took_part_as
        did = self._DID.get(took_part_as, took_part_as)
        message = {"appealed": N_("you %(did)s item %(id)s; a different person decides its appeal"),
                   "changed": N_("you %(did)s item %(id)s; a different person decides it again on its changed text"),
                   }.get(status, N_("you %(did)s item %(id)s; a different person decides its escalation"))
        super().__init__(message, did=did, id=item_id)


class WrongState(Refused):
    """The item is in a state this action does not apply to (e.g. deciding an item already confirmed)."""

    def __init__(self, message: str, *, status: str | None = None, **params: object) -> None:
        self.status = status
        super().__init__(message, **({"status": status, **params} if "%(status)" in message else params))
