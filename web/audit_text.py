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

from config.i18n import N_
from review.policy import CATEGORIES, DISMISS_REASONS
from store.models import AuditEntry
from web.i18n import translations

__all__ = ["ACTION_GROUPS", "ROUTINE", "actions_for", "details_text", "sentence"]

#: kinds of entries, grouped as the page's filter offers them: (group label, [(action, label), ...])
ACTION_GROUPS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    (N_("Decisions"), (
        ("decision.confirm", N_("Confirmations")),
        ("decision.dismiss", N_("Dismissals")),
        ("decision.escalate", N_("Escalations")),
        ("decision.appeal", N_("Appeals")),
        ("decision.undo", N_("Undos")),
        ("decision.skip", N_("Skips")),
    )),
    (N_("Items"), (
        ("comment.add", N_("Comments")),
        ("queue.flag", N_("Flags by the model")),
        ("queue.reopen", N_("Items back in the queue: text changed")),
        ("queue.claim", N_("Items taken")),
        ("queue.release", N_("Items given back")),
    )),
    (N_("Sign-ins and access"), (
        ("auth.login", N_("Sign-ins")),
        ("auth.logout", N_("Sign-outs")),
        ("auth.login_failed", N_("Failed sign-ins")),
        ("auth.login_blocked", N_("Blocked sign-ins")),
        ("access.denied", N_("Refused access")),
    )),
    (N_("People"), (
        ("user.create", N_("People added")),
        ("user.deactivate", N_("Deactivations")),
        ("user.reactivate", N_("Reactivations")),
        ("user.role_change", N_("Role changes")),
        ("user.password_reset_issued", N_("Password reset links")),
        ("user.password_reset_used", N_("Passwords reset")),
    )),
    (N_("Exports"), (
        ("export.create", N_("Exports")),
        ("export.preview", N_("Previews")),
        ("export.download", N_("Downloads")),
        ("export.download_refused", N_("Refused downloads")),
        ("export_profile.create", N_("Profiles added")),
        ("export_profile.update", N_("Profiles changed")),
        ("export_profile.delete", N_("Profiles deleted")),
    )),
    (N_("Sources and model"), (
        ("source.create", N_("Sources added")),
        ("source.update", N_("Sources changed")),
        ("source.pause", N_("Sources paused")),
        ("source.resume", N_("Sources resumed")),
        ("source.run_requested", N_("Runs asked for")),
        ("source.delete", N_("Sources removed")),
        ("model.activate", N_("Model switches")),
    )),
    (N_("Saved filters"), (
        ("filter.save", N_("Filters saved")),
        ("filter.delete", N_("Filters deleted")),
    )),
)

#: what happens many times a day without a decision behind it: hidden unless asked for
ROUTINE: tuple[str, ...] = ("queue.flag", "queue.claim", "queue.release", "auth.login", "auth.logout",
                            "export.preview", "filter.save", "filter.delete")

_SENTENCES: Mapping[str, str] = {
    "decision.confirm": N_("%(actor)s confirmed %(item)s as %(category)s."),
    "decision.confirm.cluster": N_("%(actor)s confirmed %(item)s as %(category)s, with the cluster of %(via)s."),
    "decision.dismiss": N_("%(actor)s dismissed %(item)s: %(reason)s."),
    "decision.dismiss.cluster": N_("%(actor)s dismissed %(item)s: %(reason)s, with the cluster of %(via)s."),
    "decision.dismiss.reversal": N_("%(actor)s reversed the confirmation of %(item)s on appeal: %(reason)s."),
    "decision.escalate": N_("%(actor)s escalated %(item)s to the reviewers: “%(note)s”"),
    "decision.skip": N_("%(actor)s skipped %(item)s."),
    "decision.appeal": N_("%(actor)s appealed the confirmation of %(item)s: “%(reason)s”"),
    "decision.undo.confirm": N_("%(actor)s undid their confirmation of %(item)s."),
    "decision.undo.dismiss": N_("%(actor)s undid their dismissal of %(item)s."),
    "decision.undo.escalate": N_("%(actor)s undid their escalation of %(item)s."),
    "comment.add": N_("%(actor)s commented on %(item)s: “%(text)s”"),
    "queue.flag": N_("The model flagged %(item)s (score %(score)s)."),
    "queue.reopen": N_("%(actor)s put %(item)s back in the queue: the post's text changed since its takedown was "
                       "sent, a person decides again."),
    "queue.claim": N_("%(actor)s took %(item)s from the queue."),
    "queue.release": N_("%(actor)s gave %(item)s back to the queue."),
    "auth.login": N_("%(actor)s signed in from %(client)s."),
    "auth.logout": N_("%(actor)s signed out."),
    "auth.login_failed": N_("A sign-in as %(actor)s failed (from %(client)s)."),
    "auth.login_blocked": N_("A sign-in as %(actor)s was blocked after too many failures (from %(client)s)."),
    "access.denied": N_("%(actor)s was refused %(path)s."),
    "access.denied.csrf": N_("%(actor)s was refused %(path)s: the form had no valid security token."),
    "user.create": N_("%(actor)s added %(username)s as %(role)s."),
    "user.deactivate": N_("%(actor)s deactivated %(username)s."),
    "user.reactivate": N_("%(actor)s reactivated %(username)s."),
    "user.role_change": N_("%(actor)s changed the role of %(username)s from %(before)s to %(after)s."),
    "user.password_reset_issued": N_("%(actor)s gave %(username)s a password reset link."),
    "user.password_reset_used": N_("%(actor)s chose a new password with a reset link."),
    "user.password_reset": N_("%(actor)s set a new demo password for user %(target)s."),
    "export.create": N_("%(actor)s recorded export %(export)s for %(profile)s: %(rows)s rows, %(retractions)s "
                        "retractions."),
    "export.preview": N_("%(actor)s previewed an export for %(profile)s."),
    "export.download": N_("%(actor)s downloaded export %(export)s (%(file)s file)."),
    "export.download_refused": N_("%(actor)s was refused a download of export %(export)s: %(reason)s"),
    "export_profile.create": N_("%(actor)s added the export profile %(name)s."),
    "export_profile.update": N_("%(actor)s changed the export profile %(name)s."),
    "export_profile.delete": N_("%(actor)s deleted the export profile %(name)s."),
    "source.create": N_("%(actor)s added the source %(target)s."),
    "source.update": N_("%(actor)s changed the source %(target)s: %(changes)s."),
    "source.pause": N_("%(actor)s paused the source %(target)s."),
    "source.resume": N_("%(actor)s resumed the source %(target)s."),
    "source.run_requested": N_("%(actor)s asked for a run of the source %(target)s now."),
    "source.delete": N_("%(actor)s removed the source %(target)s."),
    "model.activate": N_("%(actor)s switched the model to %(target)s (it was %(previous)s)."),
    "filter.save": N_("%(actor)s saved the queue filter “%(name)s”."),
    "filter.delete": N_("%(actor)s deleted the queue filter “%(name)s”."),
}
_UNKNOWN = N_("%(actor)s: %(action)s.")
_ACTORS = {"system": "kiemtin", "cli": N_("The command line")}


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


def sentence(entry: AuditEntry, language: str = "en") -> Markup:
    """The entry as one readable sentence in ``language`` (escaped, with links to items)."""
    tr = translations(language).gettext
    details: Mapping[str, Any] = entry.details or {}
    actor = tr(_ACTORS[entry.actor]) if entry.actor in _ACTORS else entry.actor
    values: dict[str, Any] = {
        "actor": actor, "action": entry.action, "target": entry.target_id or "",
        "item": _item(entry.target_id) if entry.target_type == "queue_item" else "",
        "via": _item(details.get("via_cluster_of")),
        "category": tr(CATEGORIES[str(details.get("category"))]) if str(details.get("category")) in CATEGORIES
        else details.get("category") or "",
        "reason": details.get("reason", ""),
        "export": Markup("#{0}").format(entry.target_id or ""), "changes": _changes(details),
        "profile": details.get("profile") or tr("an ad hoc list"), "rows": details.get("row_count", 0),
        "retractions": details.get("retraction_count", 0), "path": entry.target_id or "",
        **{key: details.get(key, "") for key in ("note", "text", "score", "client", "username", "role", "before",
                                                  "after", "file", "name", "previous")},
    }
    if entry.action == "decision.dismiss":
        reason = str(details.get("dismiss_reason"))
        values["reason"] = (tr(DISMISS_REASONS[reason]) if reason in DISMISS_REASONS
                            else details.get("dismiss_reason") or "")
    template = tr(_SENTENCES.get(_key(entry, details), _UNKNOWN))
    return escape(template) % values  # % escapes every value that is not Markup


def details_text(details: Mapping[str, Any] | None) -> list[tuple[str, str]]:
    """The raw fields of an entry as (name, text) pairs, for a closer look; empty values left out."""
    out = []
    for key, value in (details or {}).items():
        if value in (None, "", [], {}):
            continue
        out.append((key, value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)))
    return out
