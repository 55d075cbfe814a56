"""The menu: each link names the permission (``review.permissions``) that opens its page."""

from __future__ import annotations

from dataclasses import dataclass

from review.permissions import allowed

__all__ = ["NAV", "NavLink", "nav_for"]


@dataclass(frozen=True)
class NavLink:
    label: str
    href: str
    permission: str


NAV: tuple[NavLink, ...] = (
    NavLink("Dashboard", "/", "dashboard.view"),
    NavLink("Queue", "/queue", "queue.view"),
    NavLink("Escalations", "/cases", "case.view"),
    NavLink("Narratives", "/narratives", "narrative.view"),
    NavLink("Sources", "/sources", "source.view"),
    NavLink("Health", "/health", "health.view"),
    NavLink("Exports", "/exports", "export.manage"),
    NavLink("Takedowns", "/takedowns", "takedown.view"),
    NavLink("Audit log", "/admin/audit", "audit.view"),
    NavLink("Users", "/admin/users", "user.manage"),
    NavLink("Webhooks", "/admin/webhooks", "webhook.view"),
)


def nav_for(role: str) -> list[NavLink]:
    """Only the links this role may follow."""
    return [link for link in NAV if allowed(role, link.permission)]
