"""The audit log for people: each entry as a sentence ("lan confirmed #42 as Health misinformation"), the kinds
of entries a page filter offers, and which kinds are routine (hidden unless asked for).

Each sentence is one whole template with named placeholders, so it can be translated as a whole. Values come
from the entry and are escaped; item numbers become links to the item. The JSON API keeps the raw entries.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from markupsafe import Markup, escape

from review.policy import CATEGORIES, DISMISS_REASONS
from store.models import AuditEntry

__all__ = ["ACTION_GROUPS", "ROUTINE", "actions_for", "details_text", "sentence"]

#: kinds of entries, grouped as the page's filter offers them: (group label, [(action, label), ...])
ACTION_GROUPS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    ("Decisions", (("decision.confirm", "Confirmations"), ("decision.dismiss", "Dismissals"),
                   ("decision.escalate", "Escalations"), ("decision.appeal", "Appeals"), ("decision.undo", "Undos"),
                   ("decision.skip", "Skips"))),
    ("Items", (("comment.add", "Comments"), ("queue.flag", "Flags by the model"), ("queue.claim", "Items taken"),
               ("queue.release", "Items given back"))),
    ("Sign-ins and access", (("auth.login", "Sign-ins"), ("auth.logout", "Sign-outs"),
                             ("auth.login_failed", "Failed sign-ins"), ("auth.login_blocked", "Blocked sign-ins"),
                             ("access.denied", "Refused access"))),
    ("People", (("user.create", "People added"), ("user.deactivate", "Deactivations"),
                ("user.reactivate", "Reactivations"), ("user.role_change", "Role changes"),
                ("user.password_reset_issued", "Password reset links"),
                ("user.password_reset_used", "Passwords reset"))),
    ("Exports", (("export.create", "Exports"), ("export.preview", "Previews"), ("export.download", "Downloads"),
                 ("export.download_refused", "Refused downloads"), ("export_profile.create", "Profiles added"),
                 ("export_profile.update", "Profiles changed"), ("export_profile.delete", "Profiles deleted"))),
    ("Sources and model", (("source.create", "Sources added"), ("source.update", "Sources changed"),
                           ("source.pause", "Sources paused"), ("source.resume", "Sources resumed"),
                           ("source.run_requested", "Runs asked for"), ("source.delete", "Sources removed"),
                           ("model.activate", "Model switches"))),
    ("Saved filters", (("filter.save", "Filters saved"), ("filter.delete", "Filters deleted"))),
)

#: what happens many times a day without a decision behind it: hidden unless asked for
ROUTINE: tuple[str, ...] = ("queue.flag", "queue.claim", "queue.release", "auth.login", "auth.logout",
                            "export.preview", "filter.save", "filter.delete")

_SENTENCES: Mapping[str, str] = {
    "decision.confirm": "{actor} confirmed {item} as {category}.",
    "decision.confirm.cluster": "{actor} confirmed {item} as {category}, with the cluster of {via}.",
    "decision.dismiss": "{actor} dismissed {item}: {reason}.",
    "decision.dismiss.cluster": "{actor} dismissed {item}: {reason}, with the cluster of {via}.",
    "decision.dismiss.reversal": "{actor} reversed the confirmation of {item} on appeal: {reason}.",
    "decision.escalate": "{actor} escalated {item} to the reviewers: “{note}”",
    "decision.skip": "{actor} skipped {item}.",
    "decision.appeal": "{actor} appealed the confirmation of {item}: “{reason}”",
    "decision.undo.confirm": "{actor} undid their confirmation of {item}.",
    "decision.undo.dismiss": "{actor} undid their dismissal of {item}.",
    "decision.undo.escalate": "{actor} undid their escalation of {item}.",
    "comment.add": "{actor} commented on {item}: “{text}”",
    "queue.flag": "The model flagged {item} (score {score}).",
    "queue.claim": "{actor} took {item} from the queue.",
    "queue.release": "{actor} gave {item} back to the queue.",
    "auth.login": "{actor} signed in from {client}.",
    "auth.logout": "{actor} signed out.",
    "auth.login_failed": "A sign-in as {actor} failed (from {client}).",
    "auth.login_blocked": "A sign-in as {actor} was blocked after too many failures (from {client}).",
    "access.denied": "{actor} was refused {path}.",
    "access.denied.csrf": "{actor} was refused {path}: the form had no valid security token.",
    "user.create": "{actor} added {username} as {role}.",
    "user.deactivate": "{actor} deactivated {username}.",
    "user.reactivate": "{actor} reactivated {username}.",
    "user.role_change": "{actor} changed the role of {username} from {before} to {after}.",
    "user.password_reset_issued": "{actor} gave {username} a password reset link.",
    "user.password_reset_used": "{actor} chose a new password with a reset link.",
    "user.password_reset": "{actor} set a new demo password for user {target}.",
    "export.create": "{actor} recorded export {export} for {profile}: {rows} rows, {retractions} retractions.",
    "export.preview": "{actor} previewed an export for {profile}.",
    "export.download": "{actor} downloaded export {export} ({file} file).",
    "export.download_refused": "{actor} was refused a download of export {export}: {reason}",
    "export_profile.create": "{actor} added the export profile {name}.",
    "export_profile.update": "{actor} changed the export profile {name}.",
    "export_profile.delete": "{actor} deleted the export profile {name}.",
    "source.create": "{actor} added the source {target}.",
    "source.update": "{actor} changed the source {target}: {changes}.",
    "source.pause": "{actor} paused the source {target}.",
    "source.resume": "{actor} resumed the source {target}.",
    "source.run_requested": "{actor} asked for a run of the source {target} now.",
    "source.delete": "{actor} removed the source {target}.",
    "model.activate": "{actor} switched the model to {target} (it was {previous}).",
    "filter.save": "{actor} saved the queue filter “{name}”.",
    "filter.delete": "{actor} deleted the queue filter “{name}”.",
}
_UNKNOWN = "{actor}: {action}."
_ACTORS = {"system": "kiemtin", "cli": "The command line"}


def actions_for(choice: str) -> tuple[str, ...]:
    """The actions a filter choice stands for: one action, or ``group:LABEL`` for a whole group; () if unknown."""
    if choice.startswith("group:"):
        return next((tuple(a for a, _ in items) for label, items in ACTION_GROUPS if label == choice[6:]), ())
    known = {action for _, items in ACTION_GROUPS for action, _ in items}
    return (choice,) if choice in known else ()


def _key(entry: AuditEntry, details: Mapping[str, Any]) -> str:
    action = entry.action
    if action in ("decision.confirm", "decision.dismiss"):
        if details.get("reversal"):
            return "decision.dismiss.reversal"
        return action + ".cluster" if details.get("via_cluster_of") else action
    if action == "decision.undo":
        return f"decision.undo.{details.get('undid', 'confirm')}"
    if action == "access.denied" and details.get("reason") == "csrf":
        return "access.denied.csrf"
    return action if action in _SENTENCES else ""


def _item(value: object) -> Markup:
    text = str(value or "")
    if text.isdigit():
        return Markup('<a href="/items/{0}">#{0}</a>').format(text)
    return Markup("#{0}").format(text)


def _changes(details: Mapping[str, Any]) -> str:
    before, after = details.get("before") or {}, details.get("after") or {}
    if not isinstance(after, dict):
        return ""
    return ", ".join(f"{key} {before.get(key) if isinstance(before, dict) else '?'} → {value}"
                     for key, value in after.items())


def sentence(entry: AuditEntry) -> Markup:
    """The entry as one readable sentence (escaped, with links to items)."""
    details: Mapping[str, Any] = entry.details or {}
    actor = _ACTORS.get(entry.actor, entry.actor)
    values: dict[str, Any] = {
        "actor": actor, "action": entry.action, "target": entry.target_id or "",
        "item": _item(entry.target_id) if entry.target_type == "queue_item" else "",
        "via": _item(details.get("via_cluster_of")),
        "category": CATEGORIES.get(str(details.get("category")), details.get("category") or ""),
        "reason": details.get("reason", ""),
        "export": Markup("#{0}").format(entry.target_id or ""), "changes": _changes(details),
        "profile": details.get("profile") or "an ad hoc list", "rows": details.get("row_count", 0),
        "retractions": details.get("retraction_count", 0), "path": entry.target_id or "",
        **{key: details.get(key, "") for key in ("note", "text", "score", "client", "username", "role", "before",
                                                  "after", "file", "name", "previous")},
    }
    if entry.action == "decision.dismiss":
        values["reason"] = DISMISS_REASONS.get(str(details.get("dismiss_reason")), details.get("dismiss_reason") or "")
    template = _SENTENCES.get(_key(entry, details), _UNKNOWN)
    return escape(template).format(**values)  # format() escapes every value that is not Markup


def details_text(details: Mapping[str, Any] | None) -> list[tuple[str, str]]:
    """The raw fields of an entry as (name, text) pairs, for a closer look; empty values left out."""
    out = []
    for key, value in (details or {}).items():
        if value in (None, "", [], {}):
            continue
        out.append((key, value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)))
    return out
