"""Who may do what: the one permission table that actions, web pages, the JSON API and the CLI all read.

Roles of people: analyst (decides flagged posts), reviewer (decides escalations and appeals, exports takedown
lists), operator (sources and schedules), admin (may do everything). Two more actors are not people:
``console`` is the local command line used without ``--as`` (whoever can run it already holds the database
credentials: it may run the system, never decide on a post or export), and ``system`` is kiemtin itself
(scheduler, ingest).
"""

from __future__ import annotations

from collections.abc import Mapping

from store.models import ROLES

__all__ = ["CONSOLE", "PEOPLE", "PERMISSIONS", "SYSTEM", "WHAT", "allowed", "roles_for"]

CONSOLE = "console"
SYSTEM = "system"
PEOPLE: frozenset[str] = frozenset(ROLES)

#: what each permission lets someone do, in the words refusals use ("only an analyst or an admin may ...")
WHAT: Mapping[str, str] = {
    "dashboard.view": "see the dashboard", "queue.view": "open the queue", "item.view": "open queued items",
    "audit.view": "read the audit log", "item.claim": "take items from the queue", "item.decide": "decide items",
    "item.appeal": "appeal confirmed items", "export.manage": "export takedown lists",
    "source.view": "see sources", "source.manage": "change sources", "source.run": "ask for a crawl now",
    "health.view": "see crawl health", "user.view": "see who can sign in", "user.manage": "manage people",
    "model.activate": "switch the active model", "queue.flag": "flag posts",
    "case.view": "open the escalations and appeals", "case.decide": "decide escalated and appealed items",
    "item.comment": "comment on items", "filter.save": "save queue filters",
    "takedown.view": "see takedown requests", "takedown.manage": "change takedown requests",
    "takedown.recheck": "re-check takedown requests", "evidence.archive": "archive evidence of confirmed posts",
    "claim.view": "see claims", "claim.manage": "create claims and link items to them",
    "claim.import": "import claims", "claim.export": "export claims",
    "webhook.view": "see webhooks and their delivery log", "webhook.manage": "configure webhooks",
    "narrative.view": "see narratives and alerts",
    "profile.language": "choose a page language",
}

PERMISSIONS: Mapping[str, frozenset[str]] = {
    # reading
    "dashboard.view": PEOPLE,
    "profile.language": PEOPLE,
    "queue.view": frozenset({"analyst", "reviewer"}),
    "item.view": frozenset({"analyst", "reviewer"}),
    "case.view": frozenset({"reviewer"}),
    "audit.view": frozenset(),
    # deciding on flagged posts (always a named person): analysts the pending items, reviewers the escalated and
    # appealed ones (the reviewers' queue)
    "item.claim": frozenset({"analyst"}),
    "item.decide": frozenset({"analyst"}),
    "case.decide": frozenset({"reviewer"}),
    "item.appeal": frozenset({"analyst", "reviewer"}),
    "item.comment": frozenset({"analyst", "reviewer"}),
    "filter.save": frozenset({"analyst", "reviewer"}),
    # claims (fact-checks): people make them and link items; files of them are public fact-checks, so the
    # console may import and export them too
    "claim.view": frozenset({"analyst", "reviewer", CONSOLE}),
    "claim.manage": frozenset({"analyst", "reviewer"}),
    "claim.import": frozenset({"analyst", "reviewer", CONSOLE}),
    "claim.export": frozenset({"analyst", "reviewer", CONSOLE}),
    # takedown lists (always a named person)
    "export.manage": frozenset({"reviewer"}),
    "takedown.view": frozenset({"reviewer"}),
    "takedown.manage": frozenset({"reviewer"}),
    "takedown.recheck": frozenset({"operator", CONSOLE, SYSTEM}),
    "evidence.archive": frozenset({"operator", CONSOLE, SYSTEM}),
    # running the system
    "source.view": frozenset({"operator", CONSOLE}),
    "source.manage": frozenset({"operator", CONSOLE}),
    "source.run": frozenset({"operator", CONSOLE, SYSTEM}),
    "health.view": frozenset({"operator", CONSOLE}),
    "user.view": frozenset({CONSOLE}),
    "user.manage": frozenset({CONSOLE}),
    "model.activate": frozenset({CONSOLE}),
    "webhook.view": frozenset({CONSOLE}),
    "narrative.view": frozenset({*PEOPLE, CONSOLE}),
    "webhook.manage": frozenset({CONSOLE}),
    # kiemtin itself
    "queue.flag": frozenset({SYSTEM}),
}


def allowed(role: str, permission: str) -> bool:
    """True when ``role`` may do ``permission``; admin may do everything a person may. Unknown permissions
    are a programming error (KeyError), never silently allowed."""
    roles = PERMISSIONS[permission]
    return role in roles or role == "admin"


def roles_for(permission: str) -> tuple[str, ...]:
    """The people's roles that have ``permission`` (admin included), for messages."""
    roles = PERMISSIONS[permission]
    return tuple(role for role in ROLES if role in roles or role == "admin")
