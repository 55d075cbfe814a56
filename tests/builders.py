"""The one set of test factories: people, a flagged post in the queue, and decisions made through the actions.

Every test that needs "a post with a verdict in the queue" builds it here, so the shape of that fixture lives in
one place (full-stack FastAPI template ``tests/utils/``).
"""

from __future__ import annotations

import functools
import re
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from crawler import simhash64
from review import decisions
from review.actors import Actor, person
from review.queue import enqueue
from store import Database
from store.models import AuditEntry, Source, User, Verdict
from store.posts import upsert_post
from store.users import hash_password
from tests_support import crawled

PASSWORD = "correct horse battery"
RUMOUR = "Cảnh báo: uống nước muối ấm mỗi sáng chữa khỏi hoàn toàn bệnh, chia sẻ ngay cho người thân."


def evidence_for(text: str, *terms: str) -> list[dict[str, Any]]:
    """Verdict features whose spans point at every occurrence of each term in ``text``."""
    features = []
    for term in terms:
        spans = [[m.start(), m.end()] for m in re.finditer(re.escape(term), text)]
        features.append({"term": term, "weight": 0.8, "spans": spans})
    return features


def source(db: Database, name: str, url: str | None = None) -> int:
    """A source row (found or created) by name: its id."""
    with db.write() as s:
        row = s.query(Source).filter(Source.name == name).one_or_none()
        if row is None:
            row = Source(name=name, kind="rss", url=url or f"https://{name}.example.vn/feed")
            s.add(row)
            s.flush()
        return row.id


def flag(db: Database, external_id: str, *, score: float = 0.9, text: str | None = None,
         terms: tuple[str, ...] = (), source_name: str | None = None, source_id: int | None = None,
         **post: Any) -> int:
    """A crawled post, its snapshot, a verdict (with evidence spans for ``terms``) and a pending queue item:
    the item's id. ``post`` overrides fields of the crawled post (url, platform, author_handle, ...)."""
    body = text or f"Bài viết số {external_id}: tin đồn uống nước muối chữa khỏi bệnh lan truyền {external_id}."
    if source_name is not None:
        source_id = source(db, source_name)
    with db.write() as s:
        result = upsert_post(session=s, captured=crawled(external_id, text=body, **post), source_id=source_id,
                             simhash=simhash64(body))
        verdict = Verdict(post_id=result.post.id, snapshot_id=result.snapshot.id, model_version="test-1",
                          score=score, label=True, threshold=0.5, features=evidence_for(body, *terms))
        s.add(verdict)
        s.flush()
        return enqueue(session=s, post=result.post, verdict=verdict).id


def people(db: Database, *specs: tuple[str, str], password: str | None = None) -> dict[str, int]:
    """People by (name, role): their ids. Without ``password`` nobody can sign in (a placeholder hash); pass one
    for web tests that log in (its argon2 hash is made once per test session: it costs a fifth of a second)."""
    with db.write() as s:
        users = [User(username=name, password_hash=_hashed(password) if password else "-", role=role,
                      pseudonym=f"{role}-{name}") for name, role in specs]
        s.add_all(users)
        s.flush()
        return {u.username: u.id for u in users}


@functools.cache
def _hashed(password: str) -> str:
    return hash_password(password)


def as_(name: str) -> Actor:
    """The actor for a person known by name (the actions look them up)."""
    return person(name)


def decide(db: Database, name: str, item_id: int, action: str, *, at: datetime | None = None,
           **choice: Any) -> decisions.DecisionOutcome:
    """``name`` decides through the action; confirm, dismiss and escalate get what they need unless given."""
    return decisions.decide(db, person(name), item_id, decisions.Choice(action=action, **complete(action, choice)),
                            now=at)


def complete(action: str, choice: dict[str, Any]) -> dict[str, Any]:
    """The choice with what ``action`` needs filled in: a category and justification to confirm, a reason to
    dismiss, a note to escalate."""
    choice = dict(choice)
    if action == "confirm":
        choice.setdefault("category", "false_claim")
        choice.setdefault("justification", "Bộ Y tế đã bác bỏ thông tin này")
    if action == "dismiss":
        choice.setdefault("dismiss_reason", "accurate")
    if action == "escalate":
        choice.setdefault("justification", "cần chuyên gia y tế xem lại")
    return choice


def appeal(db: Database, name: str, item_id: int, reason: str = "tác giả đã đính chính",
           at: datetime | None = None) -> int:
    return decisions.appeal(db, person(name), item_id, reason, now=at)


def claim(db: Database, name: str, *, minutes: float = 5, at: datetime | None = None,
          cases: bool = False) -> int | None:
    return decisions.claim_next(db, person(name), lease=timedelta(minutes=minutes), now=at, cases=cases)


def undo(db: Database, name: str, item_id: int, *, seconds: float = 120, minutes: float = 5,
         at: datetime | None = None) -> decisions.DecisionOutcome:
    """``name`` undoes their latest decision on the item (window ``seconds``); it is theirs for ``minutes``."""
    return decisions.undo(db, person(name), item_id, window=timedelta(seconds=seconds),
                          lease=timedelta(minutes=minutes), now=at)


def audit_trail(db: Database) -> list[tuple[str, str, str | None]]:
    """(actor, action, target id) of every audit entry, oldest first."""
    with db.session() as s:
        return [(a.actor, a.action, a.target_id) for a in s.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def source_row(db: Database, name: str) -> dict[str, Any]:
    """A stored source as the configuration values that would create it."""
    from service.sources import source_config

    with db.session() as s:
        return source_config(s.scalar(select(Source).where(Source.name == name))).model_dump()
