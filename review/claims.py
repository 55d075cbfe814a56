"""Claims: checked statements with their verdicts, and the posts people link to them.

A claim is what a fact-check said about a statement that keeps coming back (text, verdict, the fact-checker's
rating, a summary, the review URL, publisher, language). An analyst or reviewer creates one from a confirmed
item (its post is linked, its category carried over) or by hand, and links further items to it; claims are
imported from and exported to schema.org ClaimReview and JSON Lines (``review.claimreview``). Every change and
every import and export is in the audit log. kiemtin's own matches (``service.claim_matching``) are only
suggestions shown next to an item: linking and confirming stay with a person.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from config.i18n import N_
from review.actors import Actor, authorize
from review.errors import InvalidInput, NotFound, Refused, WrongState
from review.inputs import checked_text, checked_url
from review.policy import CATEGORIES
from store.audit import record
from store.db import Database
from store.models import CLAIM_VERDICTS, Claim, ClaimLink, ClaimMatch, Post, QueueItem
from store.types import utcnow, valid_id
from vntext import dedupe_form

__all__ = [
    "MAX_CLAIM_TEXT",
    "VERDICT_LABELS",
    "ClaimInfo",
    "ClaimInput",
    "ImportOutcome",
    "add_claim",
    "claim_key",
    "export_claims",
    "get_claim",
    "import_claims",
    "link_item",
    "list_claims",
    "MatchNote",
    "claim_notes",
]

MAX_CLAIM_TEXT = 5000
#: verdicts as people read them (translated where shown: ``translated(verdict)``)
VERDICT_LABELS: dict[str, str] = {
    "false": N_("false"), "misleading": N_("misleading"), "partly_false": N_("partly_false"),
    "missing_context": N_("missing_context"), "unproven": N_("unproven"), "satire": N_("satire"), "true": N_("true"),
    "other": N_("other"),
}
MAX_IMPORT = 100_000


def claim_key(text: str, review_url: str | None) -> str:
    """The identity of a claim: SHA-256 of its dedupe form and its review URL (an import adds it once)."""
    return hashlib.sha256(f"{dedupe_form(text)}\n{review_url or ''}".encode()).hexdigest()


@dataclass(frozen=True)
class ClaimInput:
    """What a person types or a file holds about one claim; ``checked`` says what is wrong with it."""

    text: str
    verdict: str = "false"
    rating: str = ""
    summary: str = ""
    review_url: str | None = None
    publisher: str = ""
    language: str = "vi"
    category: str | None = None
    reviewed_at: datetime | None = None
    appearances: tuple[str, ...] = ()

    def checked(self) -> ClaimInput:
        verdict = (self.verdict or "").strip().lower()
        if verdict not in CLAIM_VERDICTS:
            raise InvalidInput("unknown verdict %(verdict)r: use one of %(choices)s", verdict=self.verdict,
                               choices=", ".join(CLAIM_VERDICTS))
        category = (self.category or "").strip() or None
        if category is not None and category not in CATEGORIES:
            raise InvalidInput("unknown category %(category)r: use one of %(choices)s", category=category,
                               choices=", ".join(CATEGORIES))
        language = checked_text(self.language or "vi", "language", max_length=8)
        appearances = tuple(u for u in (checked_url(a, "appearance URL") for a in self.appearances) if u)
        return replace(
            self, text=checked_text(self.text, "claim text", max_length=MAX_CLAIM_TEXT, required=True),
            verdict=verdict, rating=checked_text(self.rating, "rating", max_length=100),
            summary=checked_text(self.summary, "summary"), review_url=checked_url(self.review_url, "review URL"),
            publisher=checked_text(self.publisher, "publisher", max_length=200), language=language,
            category=category, appearances=appearances[:200])


@dataclass(frozen=True)
class ClaimInfo:
    """A claim as pages, the API, the CLI and the export formats show it."""

    id: int
    text: str
    verdict: str
    rating: str
    summary: str
    review_url: str | None
    publisher: str
    language: str
    category: str | None
    reviewed_at: datetime | None
    origin: str
    created_by: str
    created_at: datetime
    appearances: tuple[str, ...] = ()
    linked_urls: tuple[str, ...] = ()
    link_count: int = 0
    match_count: int = 0

    def as_input(self) -> ClaimInput:
        """The claim as an import would give it (what a round trip keeps)."""
        urls = tuple(dict.fromkeys((*self.appearances, *self.linked_urls)))
        return ClaimInput(text=self.text, verdict=self.verdict, rating=self.rating, summary=self.summary,
                          review_url=self.review_url, publisher=self.publisher, language=self.language,
                          category=self.category, reviewed_at=self.reviewed_at, appearances=urls)


@dataclass(frozen=True)
class ImportOutcome:
    added: list[int] = field(default_factory=list)
    already_known: list[int] = field(default_factory=list)


def _info(session: Session, claim: Claim, *, with_links: bool = True) -> ClaimInfo:
    urls: tuple[str, ...] = ()
    links = matches = 0
    if with_links:
        urls = tuple(session.scalars(select(Post.url).join(ClaimLink, ClaimLink.post_id == Post.id)
                                     .where(ClaimLink.claim_id == claim.id).order_by(ClaimLink.id)))
        links = len(urls)
        matches = session.scalar(select(func.count()).select_from(ClaimMatch)
                                 .where(ClaimMatch.claim_id == claim.id)) or 0
    return ClaimInfo(claim.id, claim.text, claim.verdict, claim.rating, claim.summary, claim.review_url,
                     claim.publisher, claim.language, claim.category, claim.reviewed_at, claim.origin,
                     claim.created_by, claim.created_at, tuple(claim.appearances or ()), urls, links, matches)


def _claim(session: Session, claim_id: int) -> Claim:
    claim = session.get(Claim, claim_id) if valid_id(claim_id) else None
    if claim is None:
        raise NotFound("no claim #%(id)s", id=claim_id)
    return claim


def _item(session: Session, item_id: int) -> QueueItem:
    item = session.get(QueueItem, item_id) if valid_id(item_id) else None
    if item is None:
        raise NotFound("no item %(id)s", id=item_id)
    return item


def _new_claim(session: Session, data: ClaimInput, *, origin: str, by: str, from_item_id: int | None,
               now: datetime) -> Claim:
    claim = Claim(key=claim_key(data.text, data.review_url), text=data.text, verdict=data.verdict,
                  rating=data.rating, summary=data.summary, review_url=data.review_url, publisher=data.publisher,
                  language=data.language, category=data.category, reviewed_at=data.reviewed_at,
                  appearances=list(data.appearances), origin=origin, from_item_id=from_item_id, created_by=by,
                  created_at=now)
    session.add(claim)
    session.flush()
    return claim


def _link(session: Session, claim: Claim, item: QueueItem, by: str, now: datetime) -> bool:
    exists = session.scalar(select(ClaimLink.id).where(ClaimLink.claim_id == claim.id,
                                                       ClaimLink.post_id == item.post_id))
    if exists is not None:
        return False
    session.add(ClaimLink(claim_id=claim.id, post_id=item.post_id, queue_item_id=item.id, linked_by=by,
                          linked_at=now))
    session.flush()
    return True


def add_claim(db: Database, actor: Actor, data: ClaimInput, *, from_item_id: int | None = None,
              now: datetime | None = None) -> ClaimInfo:
    """A new claim, by hand or from a confirmed item (whose post it links and whose category it takes).

    Refused when the same text with the same review URL is already a claim (the message names it)."""
    now = now or utcnow()
    with db.write() as session:
        user = authorize(session, actor, "claim.manage")
        by = user.username if user is not None else actor.name
        data = data.checked()
        item = None
        if from_item_id is not None:
            item = _item(session, from_item_id)
            if item.status != "confirmed":
                raise WrongState("item %(id)s is %(status)s: a claim is made from a confirmed item "
                                 "(link it to an existing claim instead)", id=item.id, status=item.status)
            if data.category is None:
                data = replace(data, category=item.category)
        known = session.scalar(select(Claim.id).where(Claim.key == claim_key(data.text, data.review_url)))
        if known is not None:
            raise Refused("claim #%(id)s already says this (same text and review URL): link the item to it", id=known)
        claim = _new_claim(session, data, origin="item" if item else "manual", by=by,
                           from_item_id=item.id if item else None, now=now)
        if item is not None:
            _link(session, claim, item, by, now)
        record(session=session, actor=by, action="claim.create", target_type="claim", target_id=claim.id,
               verdict=claim.verdict, from_item=item.id if item else None)
        return _info(session, claim)


def link_item(db: Database, actor: Actor, claim_id: int, item_id: int, *, now: datetime | None = None) -> bool:
    """Link a queued item's post to a claim (a person's judgement that the post repeats it). False when it was
    linked already (nothing written)."""
    now = now or utcnow()
    with db.write() as session:
        user = authorize(session, actor, "claim.manage")
        by = user.username if user is not None else actor.name
        claim, item = _claim(session, claim_id), _item(session, item_id)
        if not _link(session, claim, item, by, now):
            return False
        record(session=session, actor=by, action="claim.link", target_type="claim", target_id=claim.id,
               queue_item_id=item.id, post_id=item.post_id)
        return True


def get_claim(db: Database, actor: Actor, claim_id: int) -> ClaimInfo:
    with db.session() as session:
        authorize(session, actor, "claim.view")
        return _info(session, _claim(session, claim_id))


def list_claims(db: Database, actor: Actor, *, limit: int = 200, offset: int = 0) -> list[ClaimInfo]:
    """Claims, newest first."""
    with db.session() as session:
        authorize(session, actor, "claim.view")
        rows = session.scalars(select(Claim).order_by(Claim.id.desc()).limit(limit).offset(offset)).all()
        return [_info(session, c) for c in rows]


def import_claims(db: Database, actor: Actor, records: Sequence[ClaimInput], *, source: str = "",
                  now: datetime | None = None) -> ImportOutcome:
    """Add every claim not yet known (by text and review URL) in one transaction: a bad record refuses the
    whole file with its number, so nothing is half imported."""
    now = now or utcnow()
    if len(records) > MAX_IMPORT:
        raise InvalidInput("too many claims in one import: %(n)s, at most %(most)s", n=format(len(records), ","),
                           most=format(MAX_IMPORT, ","))
    checked = []
    for number, data in enumerate(records, start=1):
        try:
            checked.append(data.checked())
        except InvalidInput as exc:
            raise InvalidInput("claim %(n)s: %(error)s", n=number, error=exc) from None
    outcome = ImportOutcome()
    try:
        with db.write() as session:
            user = authorize(session, actor, "claim.import")
            by = user.username if user is not None else actor.name
            seen: dict[str, int] = {}
            for data in checked:
                key = claim_key(data.text, data.review_url)
                known = seen.get(key) or session.scalar(select(Claim.id).where(Claim.key == key))
                if known is not None:
                    outcome.already_known.append(known)
                    continue
                claim = _new_claim(session, data, origin="import", by=by, from_item_id=None, now=now)
                seen[key] = claim.id
                outcome.added.append(claim.id)
            record(session=session, actor=by, action="claim.import", target_type="claim", target_id=None,
                   added=len(outcome.added), already_known=len(outcome.already_known), file=source[:200])
    except IntegrityError:
        raise Refused("another import added some of these claims at the same time: run the import again") from None
    return outcome


def export_claims(db: Database, actor: Actor, *, format: str, target: str = "") -> list[ClaimInfo]:
    """Every claim, oldest first, for a ClaimReview or JSON Lines file (the export is audited)."""
    with db.write() as session:
        user = authorize(session, actor, "claim.export")
        by = user.username if user is not None else actor.name
        claims = [_info(session, c) for c in session.scalars(select(Claim).order_by(Claim.id))]
        record(session=session, actor=by, action="claim.export", target_type="claim", target_id=None,
               format=format, claims=len(claims), file=target[:200])
        return claims


@dataclass(frozen=True)
class MatchNote:
    """A claim next to a post: kiemtin's match (score and tier) or a person's link (``linked``), or both."""

    claim_id: int
    text: str
    verdict: str
    category: str | None
    review_url: str | None
    score: float | None = None
    tier: str | None = None
    linked: bool = False


def claim_notes(session: Session, post_ids: Sequence[int]) -> dict[int, list[MatchNote]]:
    """For each post, the claims it matched or was linked to: linked first, then by score, best first (for the
    queue and the item page; reading them needs the page's own permission)."""
    ids = list(dict.fromkeys(post_ids))
    if not ids:
        return {}
    best: dict[tuple[int, int], tuple[float, str]] = {}
    for post_id, claim_id, score, tier in session.execute(
            select(ClaimMatch.post_id, ClaimMatch.claim_id, ClaimMatch.score, ClaimMatch.tier)
            .where(ClaimMatch.post_id.in_(ids))):
        if (post_id, claim_id) not in best or score > best[(post_id, claim_id)][0]:
            best[(post_id, claim_id)] = (score, tier)
    linked = {(post_id, claim_id) for post_id, claim_id in session.execute(
        select(ClaimLink.post_id, ClaimLink.claim_id).where(ClaimLink.post_id.in_(ids)))}
    pairs = set(best) | linked
    claims = {c.id: c for c in session.scalars(select(Claim).where(Claim.id.in_({c for _p, c in pairs})))}
    notes: dict[int, list[MatchNote]] = {}
    for post_id, claim_id in pairs:
        claim = claims[claim_id]
        matched = best.get((post_id, claim_id))
        notes.setdefault(post_id, []).append(MatchNote(
            claim.id, claim.text, claim.verdict, claim.category, claim.review_url,
            matched[0] if matched else None, matched[1] if matched else None, (post_id, claim_id) in linked))
    for found in notes.values():
        found.sort(key=lambda n: (not n.linked, -(n.score or 0.0), n.claim_id))
    return notes
