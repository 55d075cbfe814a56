"""The menu: each link names the permission (``review.permissions``) that opens its page."""

from __future__ import annotations

from dataclasses import dataclass

from config.i18n import N_
from review.permissions import allowed

__all__ = ["NAV", "NavLink", "nav_for"]


@dataclass(frozen=True)
class NavLink:
    label: str  # English, translated where shown
    href: str
    permission: str


NAV: tuple[NavLink, ...] = (
    NavLink(N_("Dashboard"), "/", "dashboard.view"),
    NavLink(N_("Queue"), "/queue", "queue.view"),
    NavLink(N_("Escalations"), "/cases", "case.view"),
    NavLink(N_("Narratives"), "/narratives", "narrative.view"),
    NavLink(N_("Sources"), "/sources", "source.view"),
    NavLink(N_("Health"), "/health", "health.view"),
    NavLink(N_("Exports"), "/exports", "export.manage"),
    NavLink(N_("Takedowns"), "/takedowns", "takedown.view"),
    NavLink(N_("Audit log"), "/admin/audit", "audit.view"),
    NavLink(N_("Users"), "/admin/users", "user.manage"),
    NavLink(N_("Webhooks"), "/admin/webhooks", "webhook.view"),
)


def nav_for(role: str) -> list[NavLink]:
    """Only the links this role may follow."""
    return [link for link in NAV if allowed(role, link.permission)]
