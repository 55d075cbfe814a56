"""Posts: insert-or-update by (platform, external id), text snapshots with SHA-256, near-duplicate clusters."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from store.models import Post, SimhashBand, Snapshot
from store.types import utcnow
from vntext import hamming_many

__all__ = ["CapturedPost", "UpsertResult", "cluster_members", "sha256_text", "upsert_post"]

SIMHASH_MAX_DISTANCE = 3  # bits; with 4 bands of 16 bits, any pair within 3 bits shares a band


class CapturedPost(Protocol):
    """What a crawler hands over (``crawler.Post``, a frozen dataclass, fits); the store never imports the
    crawler. Read-only members: the store only reads them, so immutable objects satisfy the protocol."""

    @property
    def platform(self) -> str: ...
    @property
    def external_id(self) -> str: ...
    @property
    def url(self) -> str: ...
    @property
    def canonical_url(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def author_handle(self) -> str | None: ...
    @property
    def published_at(self) -> datetime | None: ...
    @property
    def like_count(self) -> int | None: ...
    @property
    def comment_count(self) -> int | None: ...
    @property
    def share_count(self) -> int | None: ...
    @property
    def view_count(self) -> int | None: ...
    @property
    def language(self) -> str: ...
    @property
    def title(self) -> str | None: ...


@dataclass(frozen=True)
class UpsertResult:
    post: Post
    outcome: Literal["new", "updated", "unchanged"]
    snapshot: Snapshot
    text_changed: bool


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _to_signed64(value: int) -> int:
    return value - (1 << 64) if value >= (1 << 63) else value


def _bands(simhash: int) -> list[int]:
    unsigned = simhash & ((1 << 64) - 1)
    return [(unsigned >> (16 * band)) & 0xFFFF for band in range(4)]


def _find_cluster(session: Session, post: Post, simhash: int | None) -> int:
    """The cluster of an earlier post with the same text or a SimHash within 3 bits; else the post's own id."""
    same_text = session.scalar(
        select(Post.cluster_id).where(Post.content_sha256 == post.content_sha256, Post.id != post.id)
        .order_by(Post.id).limit(1)
    )
    if same_text is not None:
        return same_text
    if simhash is not None:
        in_a_band = or_(*(
            and_(SimhashBand.band == band, SimhashBand.value == value)
            for band, value in enumerate(_bands(simhash))
        ))
        candidates = session.execute(
            select(Post.id, Post.simhash, Post.cluster_id)
            .join(SimhashBand, SimhashBand.post_id == Post.id)
            .where(Post.id != post.id, in_a_band)
            .order_by(Post.id)
            .limit(200)
        ).all()
        hashed = [(_id, other, cluster) for _id, other, cluster in candidates if other is not None]
        distances = hamming_many(simhash, [other for _, other, _ in hashed])
        for (_id, _, cluster), distance in zip(hashed, distances.tolist(), strict=True):
            if distance <= SIMHASH_MAX_DISTANCE:
                return cluster or _id
    return post.id


def upsert_post(
    *, session: Session, captured: CapturedPost, source_id: int | None, simhash: int | None = None,
    fetched_at: datetime | None = None,
) -> UpsertResult:
    """Insert a new post, or update counts and text of a known one; a changed text gets a new snapshot."""
    now = fetched_at or utcnow()
    digest = sha256_text(captured.text)
    post = session.scalar(
        select(Post).where(Post.platform == captured.platform, Post.external_id == captured.external_id)
    )
    counts = {
        "like_count": captured.like_count, "comment_count": captured.comment_count,
        "share_count": captured.share_count, "view_count": captured.view_count,
    }
    if post is None:
        post = Post(
            source_id=source_id, platform=captured.platform, external_id=captured.external_id, url=captured.url,
            canonical_url=captured.canonical_url, author_handle=captured.author_handle, title=captured.title,
            text=captured.text, published_at=captured.published_at, first_seen_at=now, fetched_at=now,
            language=captured.language, content_sha256=digest,
            simhash=None if simhash is None else _to_signed64(simhash), **counts,
        )
        session.add(post)
        session.flush()
        snapshot = Snapshot(post_id=post.id, text=captured.text, sha256=digest, url=captured.url, captured_at=now)
        session.add(snapshot)
        _index_simhash(session, post, simhash)
        post.cluster_id = _find_cluster(session, post, simhash)
        session.flush()
        return UpsertResult(post, "new", snapshot, text_changed=True)

    changed = any(getattr(post, key) != value and value is not None for key, value in counts.items())
    for key, value in counts.items():
        if value is not None:
            setattr(post, key, value)
    post.fetched_at = now
    post.url = captured.url
    post.canonical_url = captured.canonical_url
    text_changed = digest != post.content_sha256
    if text_changed:
        post.text, post.content_sha256, post.language, post.title = (
            captured.text, digest, captured.language, captured.title,
        )
        post.simhash = None if simhash is None else _to_signed64(simhash)
        session.query(SimhashBand).filter(SimhashBand.post_id == post.id).delete()
        _index_simhash(session, post, simhash)
        # a text the post had before keeps its first snapshot
        earlier = session.scalar(select(Snapshot).where(Snapshot.post_id == post.id, Snapshot.sha256 == digest))
        if earlier is None:
            earlier = Snapshot(post_id=post.id, text=captured.text, sha256=digest, url=captured.url,
                               captured_at=now)
            session.add(earlier)
        snapshot = earlier
    else:
        snapshot = session.scalars(
            select(Snapshot).where(Snapshot.post_id == post.id, Snapshot.sha256 == digest)
        ).one()
    session.flush()
    outcome: Literal["updated", "unchanged"] = "updated" if (changed or text_changed) else "unchanged"
    return UpsertResult(post, outcome, snapshot, text_changed=text_changed)


def _index_simhash(session: Session, post: Post, simhash: int | None) -> None:
    if simhash is None:
        return
    session.add_all(SimhashBand(post_id=post.id, band=band, value=value) for band, value in enumerate(_bands(simhash)))


def cluster_members(*, session: Session, post: Post) -> list[Post]:
    """Other posts grouped with this one (same text or near-duplicate), oldest first."""
    if post.cluster_id is None:
        return []
    return list(session.scalars(
        select(Post).where(Post.cluster_id == post.cluster_id, Post.id != post.id).order_by(Post.id)
    ))
