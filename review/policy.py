"""The moderation policy: what a confirmation can say a post is, and why a flag can be dismissed.

"Opinion or criticism" is a reason to dismiss, never a takedown category.
"""

from __future__ import annotations

__all__ = [
    "CATEGORIES",
    "DECISION_ACTIONS",
    "DISMISS_REASONS",
    "OPEN_STATUSES",
    "REDECIDED_STATUSES",
    "STATUSES",
    "UNDOABLE_ACTIONS",
]

CATEGORIES: dict[str, str] = {
    "false_claim": "False factual claim",
    "health_misinformation": "Health misinformation",
    "scam_fraud": "Scam or fraud",
    "impersonation": "Impersonation or fabricated quote",
    "manipulated_media": "Manipulated media",
}

DISMISS_REASONS: dict[str, str] = {
    "accurate": "Accurate",
    "opinion": "Opinion or criticism",
    "satire": "Satire",
    "not_vietnamese": "Not Vietnamese",
    "other": "Other",
}

STATUSES = ("pending", "escalated", "appealed", "confirmed", "dismissed")
OPEN_STATUSES = ("pending", "escalated", "appealed")
REDECIDED_STATUSES = ("appealed", "escalated")  # the reviewers' queue: decided by a person outside the case
DECISION_ACTIONS = ("confirm", "dismiss", "escalate", "skip")
UNDOABLE_ACTIONS = ("confirm", "dismiss", "escalate")  # by the person who decided, for ``undo_seconds``
