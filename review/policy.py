"""The moderation policy: what a confirmation can say a post is, and why a flag can be dismissed.

"Opinion or criticism" is a reason to dismiss, never a takedown category.
"""

from __future__ import annotations

from config.i18n import N_

__all__ = [
    "ACTION_LABELS",
    "CATEGORIES",
    "DECISION_ACTIONS",
    "DISMISS_REASONS",
    "OPEN_STATUSES",
    "REDECIDED_STATUSES",
    "ROLE_LABELS",
    "STATUSES",
    "STATUS_LABELS",
    "UNDOABLE_ACTIONS",
]

CATEGORIES: dict[str, str] = {
    "false_claim": N_("False factual claim"),
    "health_misinformation": N_("Health misinformation"),
    "scam_fraud": N_("Scam or fraud"),
    "impersonation": N_("Impersonation or fabricated quote"),
    "manipulated_media": N_("Manipulated media"),
}

DISMISS_REASONS: dict[str, str] = {
    "accurate": N_("Accurate"),
    "opinion": N_("Opinion or criticism"),
    "satire": N_("Satire"),
    "not_vietnamese": N_("Not Vietnamese"),
    "other": N_("Other"),
}

STATUSES = ("pending", "escalated", "appealed", "changed", "confirmed", "dismissed")
OPEN_STATUSES = ("pending", "escalated", "appealed", "changed")
#: the reviewers' queue: decided by a person outside the case. ``changed``: a confirmed item whose takedown was
#: sent and whose post's text a re-check found changed (``review.queue.reopen_changed``), decided again on the
#: text seen.
REDECIDED_STATUSES = ("appealed", "escalated", "changed")
DECISION_ACTIONS = ("confirm", "dismiss", "escalate", "skip")
UNDOABLE_ACTIONS = ("confirm", "dismiss", "escalate")  # by the person who decided, for ``undo_seconds``

#: Labels people read (translated where shown: ``_(STATUS_LABELS[status])``).
STATUS_LABELS: dict[str, str] = {
    "pending": N_("pending"), "escalated": N_("escalated"), "appealed": N_("appealed"),
    "changed": N_("text changed: decide again"), "confirmed": N_("confirmed"), "dismissed": N_("dismissed"),
}
ACTION_LABELS: dict[str, str] = {
    "confirm": N_("Confirm"), "dismiss": N_("Dismiss"), "escalate": N_("Escalate"), "skip": N_("Skip"),
    "appeal": N_("Appeal"), "undo": N_("Undo"),
}
ROLE_LABELS: dict[str, str] = {
    "analyst": N_("analyst"), "reviewer": N_("reviewer"), "operator": N_("operator"), "admin": N_("admin"),
}
