"""Takedown requests: what was asked of each recipient, and what became of it.

Each takedown row that goes out in an export becomes a request for that export's recipient (``open_requests``,
called inside ``run_export``'s transaction); a retraction row withdraws the profile's open request for that post.
People list requests and change their status with a note (``list_requests``, ``get_request``, ``mark``);
re-checks (``service.takedown_checks``) report what they saw through ``record_check``. Every change is written
to the audit log with who did it and why (``takedown.open``, ``takedown.mark``, ``takedown.withdraw``,
``takedown.status``, ``takedown.changed``, ``takedown.decided``). A re-check that finds the post's text changed
puts its confirmed item back in the queue for a person (``review.queue.reopen_changed``); the request stays
linked to the post and waits (``needs_decision``) until a person decides the item again. The rules themselves
are in ``review.takedown_rules``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, func, insert, literal, select
from sqlalchemy.orm import Session

from review.actors import SYSTEM_ACTOR, Actor, authorize
from review.errors import InvalidInput, NotFound, Refused
from review.queue import reopen_changed
from review.takedown_rules import (
    CLOSED,
    MANUAL,
    OPEN,
    OVERDUE_STATUSES,
    STATUSES,
    after_check,
    can_mark,
    is_overdue,
    next_check,
)
from store.audit import record
from store.models import (
    EvidenceArchive,
    Export,
    ExportItem,
    ExportProfile,
    Post,
    QueueItem,
    TakedownCheck,
    TakedownRequest,
)
from store.types import UTCDateTime, utcnow, valid_id

if TYPE_CHECKING:
    from store.db import Database

__all__ = [
    "CheckInfo",
    "DueRequest",
    "RequestInfo",
    "changed_snapshot",
    "counts_by_status",
    "due_requests",
    "get_request",
    "list_requests",
    "mark",
    "open_requests",
    "record_check",
    "recipients",
    "set_needs_decision",
]

MAX_NOTE = 2000


@dataclass(frozen=True)
class CheckInfo:
    id: int
    checked_at: datetime
    url: str
    http_status: int | None
    outcome: str
    text_sha256: str | None
    detail: str


@dataclass(frozen=True)
class RequestInfo:
    """One request as people see it; ``overdue`` is as of the time it was read."""

    id: int
    export_id: int
    profile: str | None
    recipient: str
    post_id: int
    item_id: int | None
    platform: str
    post_url: str
    decision_id: int
    status: str
    sent_at: datetime
    deadline_at: datetime
    acknowledged_at: datetime | None
    removed_at: datetime | None
    restored_at: datetime | None
    recipient_ref: str | None
    notes: str
    needs_decision: bool
    next_check_at: datetime | None
    last_checked_at: datetime | None
    last_outcome: str | None
    overdue: bool
    evidence_sha256: str | None = None
    checks: list[CheckInfo] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in self.__dict__.items():
            if key == "checks":
                value = [{k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in c.__dict__.items()}
                         for c in value]
            out[key] = value.isoformat() if isinstance(value, datetime) else value
        return out


# --- from an export ---------------------------------------------------------------------------------------

def open_requests(session: Session, export: Export, profile: ExportProfile | None, *, actor: str,
                  deadline_hours: int, watch_days: int) -> tuple[int, int]:
    """Inside the export's transaction: a request per takedown row of ``export`` (unless the profile already
    has an open request for that post), and withdraw the profile's open requests for the posts it retracts.
    Returns (requests opened, requests withdrawn); audited as one ``takedown.open`` and a
    ``takedown.withdraw`` per withdrawn request."""
    sent_at = export.created_at
    deadline = sent_at + timedelta(hours=deadline_hours)
    first = next_check("sent", sent_at=sent_at, deadline_at=deadline, now=sent_at, watch_days=watch_days)
    recipient = (profile.recipient or profile.name) if profile is not None else ""
    profile_id = profile.id if profile is not None else None
    dt = UTCDateTime()
    rows = (
        select(literal(export.id), ExportItem.id, literal(profile_id), literal(recipient), ExportItem.post_id,
               ExportItem.decision_id, literal("sent"), literal(sent_at, dt), literal(deadline, dt), literal(""),
               literal(False), literal(first, dt), literal(sent_at, dt))
        .where(ExportItem.export_id == export.id, ExportItem.kind == "takedown")
    )
    if profile_id is not None:
        already = select(TakedownRequest.id).where(
            TakedownRequest.profile_id == profile_id, TakedownRequest.post_id == ExportItem.post_id,
            TakedownRequest.status.in_(OPEN))
        rows = rows.where(~already.exists())
    columns = ["export_id", "export_item_id", "profile_id", "recipient", "post_id", "decision_id", "status",
               "sent_at", "deadline_at", "notes", "needs_decision", "next_check_at", "updated_at"]
    session.execute(insert(TakedownRequest).from_select(columns, rows))
    opened = session.scalar(select(func.count()).select_from(TakedownRequest).where(
        TakedownRequest.export_id == export.id)) or 0
    withdrawn = 0
    if profile_id is not None:
        retracted = select(ExportItem.post_id).where(ExportItem.export_id == export.id,
                                                     ExportItem.kind == "retraction")
        for request in session.scalars(select(TakedownRequest).where(
                TakedownRequest.profile_id == profile_id, TakedownRequest.post_id.in_(retracted),
                TakedownRequest.status.in_(OPEN), TakedownRequest.export_id != export.id)):
            before = request.status
            _close(request, "withdrawn", sent_at)
            record(session=session, actor=actor, action="takedown.withdraw", target_type="takedown_request",
                   target_id=request.id, before=before, reason=f"retracted in export {export.id}",
                   export_id=export.id)
            withdrawn += 1
    if opened or withdrawn:
        record(session=session, actor=actor, action="takedown.open", target_type="export", target_id=export.id,
               requests=opened, withdrawn=withdrawn, recipient=recipient, deadline=deadline.isoformat(),
               deadline_hours=deadline_hours)
    return int(opened), withdrawn


def _close(request: TakedownRequest, status: str, now: datetime) -> None:
    request.status, request.closed_at, request.next_check_at = status, now, None


# --- people -----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Context:
    platform: str
    url: str
    profile: str | None
    item_id: int | None
    evidence_sha256: str | None


def _contexts(session: Session, requests: list[TakedownRequest]) -> dict[int, _Context]:
    """Post, profile, item and latest evidence of each request's post, in three queries whatever the count."""
    post_ids = sorted({r.post_id for r in requests})
    posts: dict[int, tuple[str, str, int | None]] = {}
    evidence: dict[int, str | None] = {}
    for start in range(0, len(post_ids), 500):
        chunk = post_ids[start:start + 500]
        for pid, platform, url, item_id in session.execute(
                select(Post.id, Post.platform, Post.url, QueueItem.id).outerjoin(
                    QueueItem, QueueItem.post_id == Post.id).where(Post.id.in_(chunk))):
            posts[pid] = (platform, url, item_id)
        for pid, digest in session.execute(select(EvidenceArchive.post_id, EvidenceArchive.sha256).where(
                EvidenceArchive.post_id.in_(chunk), EvidenceArchive.status == "archived").order_by(EvidenceArchive.id)):
            evidence[pid] = digest
    names = dict(session.execute(select(ExportProfile.id, ExportProfile.name).where(
        ExportProfile.id.in_({r.profile_id for r in requests if r.profile_id is not None}))).all())
    return {r.post_id: _Context(posts[r.post_id][0], posts[r.post_id][1],
                                names.get(r.profile_id) if r.profile_id else None, posts[r.post_id][2],
                                evidence.get(r.post_id)) for r in requests}


def _infos(session: Session, requests: list[TakedownRequest], now: datetime, *, checks: bool = False
           ) -> list[RequestInfo]:
    contexts = _contexts(session, requests)
    out = []
    for request in requests:
        ctx = contexts[request.post_id]
        history = []
        if checks:
            history = [CheckInfo(c.id, c.checked_at, c.url, c.http_status, c.outcome, c.text_sha256, c.detail)
                       for c in session.scalars(select(TakedownCheck).where(TakedownCheck.request_id == request.id)
                                                .order_by(TakedownCheck.id.desc()))]
        out.append(RequestInfo(
            id=request.id, export_id=request.export_id, profile=ctx.profile, recipient=request.recipient,
            post_id=request.post_id, item_id=ctx.item_id, platform=ctx.platform, post_url=ctx.url,
            decision_id=request.decision_id, status=request.status, sent_at=request.sent_at,
            deadline_at=request.deadline_at, acknowledged_at=request.acknowledged_at, removed_at=request.removed_at,
            restored_at=request.restored_at, recipient_ref=request.recipient_ref, notes=request.notes,
            needs_decision=request.needs_decision, next_check_at=request.next_check_at,
            last_checked_at=request.last_checked_at, last_outcome=request.last_outcome,
            overdue=is_overdue(request.status, request.deadline_at, now), evidence_sha256=ctx.evidence_sha256,
            checks=history))
    return out


def _info(session: Session, request: TakedownRequest, now: datetime, *, checks: bool = False) -> RequestInfo:
    return _infos(session, [request], now, checks=checks)[0]


def recipients(db: Database, *, actor: Actor) -> list[str]:
    """Every recipient that has requests, by name (for filters)."""
    with db.session() as session:
        authorize(session, actor, "takedown.view")
        return list(session.scalars(select(TakedownRequest.recipient).distinct().order_by(TakedownRequest.recipient)))


def list_requests(db: Database, *, actor: Actor, status: str | None = None, overdue: bool = False,
                  recipient: str | None = None, profile: str | None = None, post_id: int | None = None,
                  now: datetime | None = None, limit: int = 200, offset: int = 0) -> list[RequestInfo]:
    """Requests, the nearest deadline first; ``overdue`` keeps those past their deadline with the post still up
    (as of ``now``, default the current time)."""
    if status and status not in STATUSES:
        raise InvalidInput("unknown status %(value)r; choose %(choices)s", value=status, choices=", ".join(STATUSES))
    now = now or utcnow()
    with db.session() as session:
        authorize(session, actor, "takedown.view")
        stmt = select(TakedownRequest)
        if status:
            stmt = stmt.where(TakedownRequest.status == status)
        if overdue:
            stmt = stmt.where(TakedownRequest.status.in_(OVERDUE_STATUSES), TakedownRequest.deadline_at < now)
        if recipient:
            stmt = stmt.where(TakedownRequest.recipient == recipient)
        if post_id is not None:
            stmt = stmt.where(TakedownRequest.post_id == post_id)
        if profile:
            prof = session.scalar(select(ExportProfile).where(ExportProfile.name == profile))
            if prof is None:
                raise NotFound("no export profile named %(name)r", name=profile)
            stmt = stmt.where(TakedownRequest.profile_id == prof.id)
        stmt = stmt.order_by(TakedownRequest.deadline_at, TakedownRequest.id).limit(limit).offset(offset)
        return _infos(session, list(session.scalars(stmt)), now)


def _request(session: Session, request_id: int, *, lock: bool = False) -> TakedownRequest:
    stmt = select(TakedownRequest).where(TakedownRequest.id == request_id)
    request = session.scalar(stmt.with_for_update() if lock else stmt) if valid_id(request_id) else None
    if request is None:
        raise NotFound("no takedown request with id %(id)s", id=request_id)
    return request


def get_request(db: Database, *, actor: Actor, request_id: int, now: datetime | None = None) -> RequestInfo:
    """One request with its check history, newest check first."""
    with db.session() as session:
        authorize(session, actor, "takedown.view")
        return _info(session, _request(session, request_id), now or utcnow(), checks=True)


def mark(db: Database, *, actor: Actor, request_id: int, status: str, note: str,
         recipient_ref: str | None = None, now: datetime | None = None, watch_days: int = 30) -> RequestInfo:
    """A person changes a request's status (the recipient answered, or they saw it), always with a note saying
    why; ``recipient_ref`` records the recipient's own reference. Audited as ``takedown.mark``."""
    note = (note or "").strip()
    if status not in STATUSES:
        raise InvalidInput("unknown status %(value)r; choose %(choices)s", value=status, choices=", ".join(STATUSES))
    if not note:
        raise InvalidInput("say why in a note (what the recipient answered, or what you saw)")
    if len(note) > MAX_NOTE:
        raise InvalidInput("a note is at most %(n)s characters", n=MAX_NOTE)
    ref = (recipient_ref or "").strip() or None
    if ref is not None and len(ref) > 200:
        raise InvalidInput("a recipient reference is at most 200 characters")
    now = now or utcnow()
    with db.write() as session:
        user = authorize(session, actor, "takedown.manage")
        name = user.username if user is not None else actor.name
        request = _request(session, request_id, lock=True)
        before = request.status
        if status != before and not can_mark(before, status):
            allowed = ", ".join(sorted(_allowed(before))) or "nothing (it is final)"
            raise Refused("request %(id)s is %(before)s; it can become %(allowed)s", id=request_id, before=before,
                          allowed=allowed)
        if status == before and ref is None:
            raise Refused("request %(id)s is already %(before)s; add a reference or choose another status",
                          id=request_id, before=before)
        _set_status(request, status, now, watch_days=watch_days)
        if ref is not None:
            request.recipient_ref = ref
        request.notes = (request.notes + "\n" if request.notes else "") + f"{now:%Y-%m-%d %H:%M}Z {name}: {note}"
        record(session=session, actor=name, action="takedown.mark", target_type="takedown_request",
               target_id=request.id, before=before, after=status, note=note, recipient_ref=ref)
        session.flush()
        return _info(session, request, now, checks=True)


def _allowed(status: str) -> frozenset[str]:
    return MANUAL.get(status, frozenset())


def _set_status(request: TakedownRequest, status: str, now: datetime, *, watch_days: int) -> None:
    if status == request.status:
        return
    if status == "acknowledged" and request.acknowledged_at is None:
        request.acknowledged_at = now
    if status == "removed" and request.removed_at is None:
        request.removed_at = now
    if status == "restored":
        request.restored_at = now
    if status in CLOSED:
        _close(request, status, now)
        return
    request.status, request.closed_at = status, None
    request.next_check_at = next_check(status, sent_at=request.sent_at, deadline_at=request.deadline_at, now=now,
                                       watch_days=watch_days)


# --- re-checks --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class DueRequest:
    """What a re-check needs to know about one request's post."""

    request_id: int
    post_id: int
    platform: str
    url: str
    external_id: str
    text: str
    source_url: str | None


def due_requests(db: Database, *, now: datetime | None = None, limit: int = 200, everything: bool = False,
                 actor: Actor = SYSTEM_ACTOR) -> list[DueRequest]:
    """Open requests whose next re-check is due (``everything``: every open one still watched), soonest first."""
    from store.models import Source

    now = now or utcnow()
    with db.session() as session:
        authorize(session, actor, "takedown.recheck")
        stmt = (select(TakedownRequest.id, Post.id, Post.platform, Post.url, Post.external_id, Post.text, Source.url)
                .join(Post, Post.id == TakedownRequest.post_id)
                .outerjoin(Source, Source.id == Post.source_id)
                .where(TakedownRequest.status.in_(OPEN), TakedownRequest.next_check_at.is_not(None)))
        if not everything:
            stmt = stmt.where(TakedownRequest.next_check_at <= now)
        stmt = stmt.order_by(TakedownRequest.next_check_at, TakedownRequest.id).limit(limit)
        return [DueRequest(*row) for row in session.execute(stmt)]


def record_check(db: Database, *, request_id: int, url: str, outcome: str, http_status: int | None,
                 text: str | None, detail: str = "", now: datetime | None = None, watch_days: int = 30,
                 actor: Actor = SYSTEM_ACTOR) -> str:
    """Record one re-check of a request's post and apply its outcome (``review.takedown_rules.after_check``);
    a changed text is kept as a new snapshot, the request is marked ``needs_decision`` and its confirmed item
    goes back to the reviewers' queue as ``changed`` (``review.queue.reopen_changed``): a person decides again
    on the text seen, nothing is sent. Returns the request's status after the check."""
    from store.posts import sha256_text

    now = now or utcnow()
    digest = sha256_text(text) if text is not None else None
    with db.write() as session:
        authorize(session, actor, "takedown.recheck")
        request = _request(session, request_id, lock=True)
        check = TakedownCheck(request_id=request.id, checked_at=now, url=url, http_status=http_status,
                              outcome=outcome, text_sha256=digest, detail=detail[:2000])
        session.add(check)
        if outcome == "changed" and text is not None:
            check.snapshot_id = _snapshot(session, request.post_id, text, digest or "", url, now)
            if not request.needs_decision:
                request.needs_decision = True
                item_id = reopen_changed(session=session, post_id=request.post_id, snapshot_id=check.snapshot_id,
                                         request_id=request.id, actor=actor.name)
                record(session=session, actor=actor.name, action="takedown.changed", target_type="takedown_request",
                       target_id=request.id, text_sha256=digest, snapshot_id=check.snapshot_id, item_id=item_id,
                       reason="the post's text changed since it was sent: a person decides again")
        before = request.status
        after = after_check(before, outcome, overdue=is_overdue(before, request.deadline_at, now))
        if after != before:
            _set_status(request, after, now, watch_days=watch_days)
            record(session=session, actor=actor.name, action="takedown.status", target_type="takedown_request",
                   target_id=request.id, before=before, after=after, http_status=http_status,
                   reason=f"re-check: {outcome}" + (f" ({detail})" if detail else ""))
        elif request.status not in CLOSED:
            request.next_check_at = next_check(request.status, sent_at=request.sent_at,
                                               deadline_at=request.deadline_at, now=now, watch_days=watch_days)
        request.last_checked_at, request.last_outcome = now, outcome
        return request.status


def changed_snapshot(session: Session, post_id: int) -> int | None:
    """The snapshot of the text the latest re-check of the post's requests found changed (what a person decides
    on when its item is ``changed``), or None."""
    return session.scalar(
        select(TakedownCheck.snapshot_id).join(TakedownRequest, TakedownRequest.id == TakedownCheck.request_id)
        .where(TakedownRequest.post_id == post_id, TakedownCheck.outcome == "changed",
               TakedownCheck.snapshot_id.is_not(None))
        .order_by(TakedownCheck.id.desc()).limit(1))


def set_needs_decision(session: Session, *, post_id: int, value: bool, actor: str, item_id: int,
                       decision_id: int) -> list[int]:
    """Inside a decision's transaction on the post's item: a person decided the ``changed`` item again
    (``value`` False: the requests no longer wait for them; audited as ``takedown.decided``) or undid that
    decision (True: they wait again; ``takedown.changed``). The post's requests that are not closed; their ids."""
    requests = list(session.scalars(select(TakedownRequest).where(
        TakedownRequest.post_id == post_id, TakedownRequest.needs_decision.is_(not value),
        TakedownRequest.status.not_in(CLOSED)).order_by(TakedownRequest.id)))
    for request in requests:
        request.needs_decision = value
        record(session=session, actor=actor, action="takedown.changed" if value else "takedown.decided",
               target_type="takedown_request", target_id=request.id, item_id=item_id, decision_id=decision_id,
               reason="the decision on the changed text was undone: a person decides again" if value
               else "a person decided again on the changed text")
    return [r.id for r in requests]


def _snapshot(session: Session, post_id: int, text: str, digest: str, url: str, now: datetime) -> int:
    from store.models import Snapshot

    existing = session.scalar(select(Snapshot.id).where(Snapshot.post_id == post_id, Snapshot.sha256 == digest))
    if existing is not None:
        return existing
    snap = Snapshot(post_id=post_id, text=text, sha256=digest, url=url, captured_at=now)
    session.add(snap)
    session.flush()
    return snap.id


def counts_by_status(db: Database, *, actor: Actor, now: datetime | None = None) -> dict[str, int]:
    """How many requests are in each status, and how many are overdue now."""
    now = now or utcnow()
    with db.session() as session:
        authorize(session, actor, "takedown.view")
        out = {s: 0 for s in STATUSES}
        out.update(dict(session.execute(select(TakedownRequest.status, func.count()).group_by(
            TakedownRequest.status)).all()))
        out["overdue"] = session.scalar(select(func.count()).select_from(TakedownRequest).where(and_(
            TakedownRequest.status.in_(OVERDUE_STATUSES), TakedownRequest.deadline_at < now))) or 0
        return out

