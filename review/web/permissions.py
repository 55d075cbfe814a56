"""Who may do what: every role check in the web app reads these tuples (admin may do everything)."""

from __future__ import annotations

from dataclasses import dataclass

from store.models import ROLES

__all__ = ["ADMIN", "ALL", "APPEAL", "EXPORT", "NAV", "OPERATE", "REVIEW", "VIEW_ITEMS", "NavLink", "allowed",
           "nav_for"]

ALL: tuple[str, ...] = ROLES
REVIEW: tuple[str, ...] = ("analyst",)  # queue, claim, decide
VIEW_ITEMS: tuple[str, ...] = ("analyst", "reviewer")  # read an item and its history
APPEAL: tuple[str, ...] = ("analyst", "reviewer")  # reopen a confirmed item
ADMIN: tuple[str, ...] = ("admin",)  # users, audit log
OPERATE: tuple[str, ...] = ("operator",)  # sources, schedules, run now, health
EXPORT: tuple[str, ...] = ("reviewer",)  # export profiles, previews, runs and downloads


def allowed(role: str, roles: tuple[str, ...]) -> bool:
    return role == "admin" or role in roles


@dataclass(frozen=True)
class NavLink:
    label: str
    href: str
    roles: tuple[str, ...]


NAV: tuple[NavLink, ...] = (
    NavLink("Dashboard", "/", ALL),
    NavLink("Queue", "/queue", REVIEW),
    NavLink("Sources", "/sources", OPERATE),
    NavLink("Health", "/health", OPERATE),
    NavLink("Exports", "/exports", EXPORT),
    NavLink("Audit log", "/admin/audit", ADMIN),
    NavLink("Users", "/admin/users", ADMIN),
)


def nav_for(role: str) -> list[NavLink]:
    """Only the links this role may follow."""
    return [link for link in NAV if allowed(role, link.roles)]
