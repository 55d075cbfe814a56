"""The database schema: sources and crawl runs, posts with snapshots, verdicts, the review queue, people, audit.

Every table here is created by an Alembic migration in ``store/migrations/versions``; change both together.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from store.types import UTCDateTime, utcnow

__all__ = [
    "CLAIM_VERDICTS",
    "Alert",
    "Narrative",
    "NarrativeClaim",
    "NarrativePost",
    "ROLES",
    "WEBHOOK_EVENTS",
    "AuditEntry",
    "Base",
    "Claim",
    "ClaimLink",
    "ClaimMatch",
    "CrawlHostState",
    "CrawlRun",
    "Decision",
    "EvidenceArchive",
    "Export",
    "ExportItem",
    "ExportProfile",
    "HttpValidator",
    "ItemComment",
    "Lease",
    "LoginAttempt",
    "PasswordReset",
    "Post",
    "QueueItem",
    "RunRequest",
    "SavedFilter",
    "SimhashBand",
    "Snapshot",
    "Source",
    "SourceTombstone",
    "TakedownCheck",
    "TakedownRequest",
    "User",
    "Verdict",
    "Webhook",
    "WebhookDelivery",
    "WebSession",
]

ROLES = ("analyst", "operator", "reviewer", "admin")


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON(), list[Any]: JSON()}


class User(Base):
    """A person who signs in. Roles: analyst (review), operator (sources), reviewer (exports), admin (users)."""

    __tablename__ = "users"
    __table_args__ = (CheckConstraint(f"role IN {ROLES!r}", name="ck_users_role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    pseudonym: Mapped[str | None] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    ui_language: Mapped[str | None] = mapped_column(String(8))  # "vi", "en"; None: the setting ui_language


class Source(Base):
    """A public place that is crawled on a schedule."""

    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    url: Mapped[str] = mapped_column(Text)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    schedule: Mapped[str] = mapped_column(String(100), default="every 15m")
    jitter_s: Mapped[int] = mapped_column(Integer, default=0)
    quiet_hours: Mapped[str | None] = mapped_column(String(20))
    options: Mapped[dict[str, Any]] = mapped_column(default=dict)
    min_delay_s: Mapped[float | None] = mapped_column(Float)
    concurrency: Mapped[int | None] = mapped_column(Integer)
    user_agent: Mapped[str | None] = mapped_column(String(300))
    cursor: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    runs: Mapped[list[CrawlRun]] = relationship(back_populates="source", cascade="all, delete-orphan")


class CrawlRun(Base):
    """One crawl of one source: what happened, with counts and readable errors."""

    __tablename__ = "crawl_runs"
    __table_args__ = (Index("ix_crawl_runs_source_started", "source_id", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    trigger: Mapped[str] = mapped_column(String(16), default="schedule")
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16), default="running")
    http_status_counts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    fetched: Mapped[int] = mapped_column(Integer, default=0)
    new: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    flagged: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[list[Any]] = mapped_column(default=list)
    worker: Mapped[str | None] = mapped_column(String(200))  # who ran it; None: before workers were recorded

    source: Mapped[Source] = relationship(back_populates="runs")


class RunRequest(Base):
    """A request for one run of a source as soon as possible (run now), from any process; the scheduler's
    leader dispatches each one once, even across a change of leader."""

    __tablename__ = "run_requests"
    __table_args__ = (Index("ix_run_requests_pending", "dispatched_at", "requested_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    requested_by: Mapped[str] = mapped_column(String(64))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    dispatched_at: Mapped[datetime | None]
    dispatched_by: Mapped[str | None] = mapped_column(String(128))


class SourceTombstone(Base):
    """The name of a source a person removed: ``kiemtin.toml`` does not seed it again until someone re-adds it."""

    __tablename__ = "source_tombstones"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    removed_by: Mapped[str] = mapped_column(String(64))
    removed_at: Mapped[datetime] = mapped_column(default=utcnow)


class HttpValidator(Base):
    """ETag / Last-Modified remembered per URL for conditional requests."""

    __tablename__ = "http_validators"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(2048), unique=True)
    etag: Mapped[str | None] = mapped_column(String(512))
    last_modified: Mapped[str | None] = mapped_column(String(128))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class CrawlHostState(Base):
    """Politeness state of one crawled host (``scheme://host[:port]``), shared by crawl runs and processes.

    robots.txt's answer until it expires, when the latest request was allowed to start, Retry-After /
    rate-limit pauses and the AutoThrottle delay (see ``crawler.hoststate``). Times are Unix epoch seconds
    (floats) by the database's clock, so the next start is computed in one UPDATE on both backends.
    """

    __tablename__ = "crawl_host_state"

    origin: Mapped[str] = mapped_column(String(300), primary_key=True)
    last_start: Mapped[float | None] = mapped_column(Float)
    paused_until: Mapped[float] = mapped_column(Float, default=0.0)
    throttle_delay: Mapped[float | None] = mapped_column(Float)
    robots_body: Mapped[str | None] = mapped_column(Text)
    robots_deny_reason: Mapped[str | None] = mapped_column(Text)
    robots_expires: Mapped[float | None] = mapped_column(Float)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Post(Base):
    """A public post as last seen. Each distinct text it has had is kept as a Snapshot."""

    __tablename__ = "posts"
    __table_args__ = (
        UniqueConstraint("platform", "external_id", name="uq_posts_platform_external_id"),
        Index("ix_posts_canonical_url", "canonical_url"),
        Index("ix_posts_content_sha256", "content_sha256"),
        Index("ix_posts_cluster_id", "cluster_id"),
        Index("ix_posts_source_fetched", "source_id", "fetched_at"),
        # the posts whose current text waits for a verdict: a small partial index, not an anti-join per batch
        Index("ix_posts_score_pending", "source_id", "id", sqlite_where=text("score_pending"),
              postgresql_where=text("score_pending")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id", ondelete="SET NULL"))
    platform: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str] = mapped_column(String(512))
    url: Mapped[str] = mapped_column(Text)
    canonical_url: Mapped[str] = mapped_column(String(2048))
    author_handle: Mapped[str | None] = mapped_column(String(256))
    title: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    published_at: Mapped[datetime | None]
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow)
    like_count: Mapped[int | None] = mapped_column(BigInteger)
    comment_count: Mapped[int | None] = mapped_column(BigInteger)
    share_count: Mapped[int | None] = mapped_column(BigInteger)
    view_count: Mapped[int | None] = mapped_column(BigInteger)
    language: Mapped[str] = mapped_column(String(8), default="und")
    content_sha256: Mapped[str] = mapped_column(String(64))
    simhash: Mapped[int | None] = mapped_column(BigInteger)
    cluster_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="SET NULL"))
    # vntext.search_form of text and title: accent-insensitive search (FTS5 trigram on SQLite, pg_trgm on PostgreSQL)
    search_text: Mapped[str | None] = mapped_column(Text, deferred=True)  # not loaded with the post
    # True from a new or changed text (in a scored language) until a verdict exists for its snapshot
    score_pending: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    snapshots: Mapped[list[Snapshot]] = relationship(
        back_populates="post", cascade="all, delete-orphan", order_by="Snapshot.id"
    )
    source: Mapped[Source | None] = relationship()


class SimhashBand(Base):
    """One 16-bit band of a post's 64-bit SimHash; posts sharing a band are near-duplicate candidates."""

    __tablename__ = "simhash_bands"
    __table_args__ = (Index("ix_simhash_bands_band_value", "band", "value"),)

    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True)
    band: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[int] = mapped_column(Integer)


class Snapshot(Base):
    """The exact text of a post at a capture time, with its SHA-256: the evidence a verdict was made on."""

    __tablename__ = "snapshots"
    __table_args__ = (UniqueConstraint("post_id", "sha256", name="uq_snapshots_post_sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    url: Mapped[str] = mapped_column(Text)
    captured_at: Mapped[datetime] = mapped_column(default=utcnow)

    post: Mapped[Post] = relationship(back_populates="snapshots")


class Verdict(Base):
    """What a model version said about one snapshot, with the features that drove the score."""

    __tablename__ = "verdicts"
    # one verdict per snapshot: concurrent scorers cannot both write one (INSERT ... ON CONFLICT DO NOTHING)
    __table_args__ = (Index("ix_verdicts_post_id", "post_id"),
                      Index("uq_verdicts_snapshot_id", "snapshot_id", unique=True),
                      # flagged verdicts whose evidence is still to be computed (service.explain): a partial index
                      Index("ix_verdicts_explain_pending", "id", sqlite_where=text("explain_pending"),
                            postgresql_where=text("explain_pending")))

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    snapshot_id: Mapped[int] = mapped_column(ForeignKey("snapshots.id", ondelete="CASCADE"))
    model_version: Mapped[str] = mapped_column(String(100))
    score: Mapped[float] = mapped_column(Float)
    label: Mapped[bool] = mapped_column(Boolean)
    threshold: Mapped[float] = mapped_column(Float)
    # which inputs the post had, so which model head scored it: "text", "text_time", "text_counts_time" (NULL: older)
    input_case: Mapped[str | None] = mapped_column(String(20), nullable=True)
    features: Mapped[list[Any]] = mapped_column(default=list)
    # True from scoring until ``features`` holds the evidence of a flagged verdict (explained after queueing)
    explain_pending: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    snapshot: Mapped[Snapshot] = relationship()


class QueueItem(Base):
    """A flagged post waiting for, or having had, a human decision."""

    __tablename__ = "queue_items"
    __table_args__ = (
        Index("ix_queue_items_status_priority", "status", "priority"),
        Index("ix_queue_items_status_score", "status", "score"),
        Index("ix_queue_items_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), unique=True)
    verdict_id: Mapped[int] = mapped_column(ForeignKey("verdicts.id"))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    priority: Mapped[float] = mapped_column(Float, default=0.0)
    score: Mapped[float | None] = mapped_column(Float)  # the verdict's score, copied so sorting needs no join
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    lease_expires_at: Mapped[datetime | None]
    category: Mapped[str | None] = mapped_column(String(40))
    current_decision_id: Mapped[int | None] = mapped_column(
        ForeignKey("decisions.id", use_alter=True, name="fk_queue_items_current_decision")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    post: Mapped[Post] = relationship()
    verdict: Mapped[Verdict] = relationship()
    assignee: Mapped[User | None] = relationship()


class Decision(Base):
    """A person's decision on a queue item. Never updated: reversals, appeals and undos are new rows.

    ``status_before`` is the item's status when the decision was made (what an undo puts back);
    ``cluster_of_id`` is the named item's decision when this one was made with "apply to the whole cluster".
    """

    __tablename__ = "decisions"
    __table_args__ = (Index("ix_decisions_item", "queue_item_id"), Index("ix_decisions_created", "created_at"),
                      Index("ix_decisions_cluster_of", "cluster_of_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    queue_item_id: Mapped[int] = mapped_column(ForeignKey("queue_items.id", ondelete="CASCADE"))
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    snapshot_id: Mapped[int | None] = mapped_column(ForeignKey("snapshots.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(16))
    category: Mapped[str | None] = mapped_column(String(40))
    dismiss_reason: Mapped[str | None] = mapped_column(String(40))
    justification: Mapped[str] = mapped_column(Text, default="")
    reference_url: Mapped[str | None] = mapped_column(Text)
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("decisions.id"))
    status_before: Mapped[str | None] = mapped_column(String(16))
    cluster_of_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship()


class ItemComment(Base):
    """A note people leave on a queued item, about the post (never exported; never edited)."""

    __tablename__ = "item_comments"
    __table_args__ = (Index("ix_item_comments_item", "queue_item_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    queue_item_id: Mapped[int] = mapped_column(ForeignKey("queue_items.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SavedFilter(Base):
    """A person's named set of queue filters (the query parameters of the queue page)."""

    __tablename__ = "saved_filters"
    __table_args__ = (UniqueConstraint("user_id", "name", name="uq_saved_filters_user_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PasswordReset(Base):
    """A one-time link an admin hands to a person to choose a new password; only its SHA-256 is kept."""

    __tablename__ = "password_resets"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class AuditEntry(Base):
    """Append-only record of who did what and when (database triggers refuse UPDATE and DELETE)."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_at", "at"), Index("ix_audit_log_action_id", "action", "id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    target_type: Mapped[str | None] = mapped_column(String(32))
    target_id: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)


class WebSession(Base):
    """A server-side login session; only the SHA-256 of the cookie token is stored."""

    __tablename__ = "web_sessions"

    token_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]

    user: Mapped[User] = relationship()


class LoginAttempt(Base):
    """Login attempts, for rate limiting."""

    __tablename__ = "login_attempts"
    __table_args__ = (Index("ix_login_attempts_username_at", "username", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    client: Mapped[str] = mapped_column(String(64), default="")
    success: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class Lease(Base):
    """A named lease (e.g. the scheduler leader) held by one process until it expires."""

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(128))
    acquired_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]


class ExportProfile(Base):
    """A saved export for one recipient (e.g. one per platform) with its filters and format."""

    __tablename__ = "export_profiles"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    recipient: Mapped[str] = mapped_column(String(200), default="")
    format: Mapped[str] = mapped_column(String(8), default="csv")
    filters: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Export(Base):
    """One export file as sent: who, when, filters, rows and the SHA-256 of the exact bytes."""

    __tablename__ = "exports"

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int | None] = mapped_column(ForeignKey("export_profiles.id", ondelete="SET NULL"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    format: Mapped[str] = mapped_column(String(8))
    filters: Mapped[dict[str, Any]] = mapped_column(default=dict)
    row_count: Mapped[int] = mapped_column(Integer, default=0)
    retraction_count: Mapped[int] = mapped_column(Integer, default=0)
    sha256: Mapped[str | None] = mapped_column(String(64))
    file_path: Mapped[str | None] = mapped_column(Text)
    manifest: Mapped[dict[str, Any]] = mapped_column(default=dict)


class ExportItem(Base):
    """A decision that went out in an export, as a takedown row or a retraction row."""

    __tablename__ = "export_items"
    __table_args__ = (Index("ix_export_items_decision", "decision_id"), Index("ix_export_items_export", "export_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    export_id: Mapped[int] = mapped_column(ForeignKey("exports.id", ondelete="CASCADE"))
    decision_id: Mapped[int] = mapped_column(ForeignKey("decisions.id"))
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"))
    kind: Mapped[str] = mapped_column(String(16), default="takedown")


class TakedownRequest(Base):
    """A takedown row that went out in an export, followed as a request to its recipient: its status, its
    deadline and the recipient's reference. About a post, never a person. Changed only by ``review.takedowns``."""

    __tablename__ = "takedown_requests"
    __table_args__ = (
        Index("ix_takedown_requests_status_next", "status", "next_check_at"),
        Index("ix_takedown_requests_profile_post", "profile_id", "post_id"),
        Index("ix_takedown_requests_deadline", "deadline_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    export_id: Mapped[int] = mapped_column(ForeignKey("exports.id", ondelete="CASCADE"))
    export_item_id: Mapped[int | None] = mapped_column(ForeignKey("export_items.id", ondelete="SET NULL"))
    profile_id: Mapped[int | None] = mapped_column(ForeignKey("export_profiles.id", ondelete="SET NULL"))
    recipient: Mapped[str] = mapped_column(String(200), default="")
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    decision_id: Mapped[int] = mapped_column(ForeignKey("decisions.id"))
    status: Mapped[str] = mapped_column(String(16), default="sent")
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
    deadline_at: Mapped[datetime]
    acknowledged_at: Mapped[datetime | None]
    removed_at: Mapped[datetime | None]  # first time it was seen (or marked) removed
    restored_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]  # withdrawn or rejected: no more re-checks
    recipient_ref: Mapped[str | None] = mapped_column(String(200))
    notes: Mapped[str] = mapped_column(Text, default="")
    needs_decision: Mapped[bool] = mapped_column(Boolean, default=False)  # the post's text changed since sent
    next_check_at: Mapped[datetime | None]
    last_checked_at: Mapped[datetime | None]
    last_outcome: Mapped[str | None] = mapped_column(String(16))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class TakedownCheck(Base):
    """One re-check of a request's post: when, what came back, and the SHA-256 of the text seen (evidence)."""

    __tablename__ = "takedown_checks"
    __table_args__ = (Index("ix_takedown_checks_request", "request_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("takedown_requests.id", ondelete="CASCADE"))
    checked_at: Mapped[datetime] = mapped_column(default=utcnow)
    url: Mapped[str] = mapped_column(Text)
    http_status: Mapped[int | None] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(16))  # removed | online | changed | unreachable
    text_sha256: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[str] = mapped_column(Text, default="")
    snapshot_id: Mapped[int | None] = mapped_column(ForeignKey("snapshots.id", ondelete="SET NULL"))


class EvidenceArchive(Base):
    """A WARC file holding a confirmed post's page (or API answer) as fetched, kept under ``archive_dir``."""

    __tablename__ = "evidence_archives"
    __table_args__ = (Index("ix_evidence_archives_post", "post_id"), Index("ix_evidence_archives_status", "status"))

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    decision_id: Mapped[int | None] = mapped_column(ForeignKey("decisions.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | archived | failed
    url: Mapped[str] = mapped_column(Text)
    file_name: Mapped[str | None] = mapped_column(Text)
    sha256: Mapped[str | None] = mapped_column(String(64))  # of the WARC file
    payload_sha256: Mapped[str | None] = mapped_column(String(64))  # of the response body
    http_status: Mapped[int | None] = mapped_column(Integer)
    size: Mapped[int | None] = mapped_column(BigInteger)
    captured_at: Mapped[datetime | None]
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


CLAIM_VERDICTS = ("false", "misleading", "partly_false", "missing_context", "unproven", "satire", "true", "other")


class Claim(Base):
    """A checked statement with its verdict: what a fact-check said about a claim that keeps coming back.

    ``key`` (SHA-256 of the claim's dedupe form and its review URL) keeps an import from adding it twice;
    ``appearances`` are URLs where it was seen that came with an import (linked posts are ClaimLinks)."""

    __tablename__ = "claims"
    __table_args__ = (CheckConstraint(f"verdict IN {CLAIM_VERDICTS!r}", name="ck_claims_verdict"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    text: Mapped[str] = mapped_column(Text)
    verdict: Mapped[str] = mapped_column(String(20))
    rating: Mapped[str] = mapped_column(String(100), default="")  # the rating as the fact-checker wrote it
    summary: Mapped[str] = mapped_column(Text, default="")
    review_url: Mapped[str | None] = mapped_column(Text)
    publisher: Mapped[str] = mapped_column(String(200), default="")
    language: Mapped[str] = mapped_column(String(8), default="vi")
    category: Mapped[str | None] = mapped_column(String(40))
    reviewed_at: Mapped[datetime | None]
    appearances: Mapped[list[Any]] = mapped_column(default=list)
    origin: Mapped[str] = mapped_column(String(16), default="manual")  # manual | item | import
    from_item_id: Mapped[int | None] = mapped_column(ForeignKey("queue_items.id", ondelete="SET NULL"))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ClaimLink(Base):
    """A post a person linked to a claim (from the item page, or by creating the claim from the item)."""

    __tablename__ = "claim_links"
    __table_args__ = (UniqueConstraint("claim_id", "post_id", name="uq_claim_links_claim_post"),
                      Index("ix_claim_links_post", "post_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id", ondelete="CASCADE"))
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    queue_item_id: Mapped[int | None] = mapped_column(ForeignKey("queue_items.id", ondelete="SET NULL"))
    linked_by: Mapped[str] = mapped_column(String(64))
    linked_at: Mapped[datetime] = mapped_column(default=utcnow)


class ClaimMatch(Base):
    """kiemtin's suggestion that a captured text repeats a claim: a score and a tier (``auto`` or ``suggest``).

    Never a decision: a person still confirms the item."""

    __tablename__ = "claim_matches"
    __table_args__ = (UniqueConstraint("snapshot_id", "claim_id", name="uq_claim_matches_snapshot_claim"),
                      Index("ix_claim_matches_post", "post_id"), Index("ix_claim_matches_claim_at", "claim_id",
                                                                             "created_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id", ondelete="CASCADE"))
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    snapshot_id: Mapped[int] = mapped_column(ForeignKey("snapshots.id", ondelete="CASCADE"))
    score: Mapped[float] = mapped_column(Float)
    tier: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


WEBHOOK_EVENTS = ("item.flagged", "item.confirmed", "claim.matched", "narrative.spike", "export.created")


class Webhook(Base):
    """A URL an admin configured to receive JSON events, signed with HMAC-SHA256 under ``secret``."""

    __tablename__ = "webhooks"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    secret: Mapped[str] = mapped_column(String(128))
    events: Mapped[list[Any]] = mapped_column(default=list)
    min_score: Mapped[float] = mapped_column(Float, default=0.0)  # item.flagged only above this score
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WebhookDelivery(Base):
    """One event for one webhook: pending until delivered, retried with backoff, ``failed`` after the last try."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
                      Index("ix_webhook_deliveries_webhook", "webhook_id", "id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    webhook_id: Mapped[int] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"))
    event: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(12), default="pending")  # pending | delivered | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None]
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None]


class Narrative(Base):
    """A topic that flagged posts and claims share, named by a few keyword phrases (``key``: the phrases that
    identify it from one rebuild to the next)."""

    __tablename__ = "narratives"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    label: Mapped[str] = mapped_column(Text)
    keywords: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class NarrativePost(Base):
    """A post in a narrative, with when it was first seen and its source (what the counts are made of)."""

    __tablename__ = "narrative_posts"
    __table_args__ = (Index("ix_narrative_posts_seen", "narrative_id", "seen_at"),)

    narrative_id: Mapped[int] = mapped_column(ForeignKey("narratives.id", ondelete="CASCADE"), primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True)
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id", ondelete="SET NULL"))
    seen_at: Mapped[datetime]


class NarrativeClaim(Base):
    """A claim grouped into a narrative."""

    __tablename__ = "narrative_claims"

    narrative_id: Mapped[int] = mapped_column(ForeignKey("narratives.id", ondelete="CASCADE"), primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id", ondelete="CASCADE"), primary_key=True)


class NarrativePhrases(Base):
    """The keyword phrase candidates found in one unit text (``classifier.narrative_terms.phrase_counts``), by
    ``phrase_key`` (hash of the extractor version and the normalised text): the narrative rebuild segments only
    texts it has not seen. ``used_at``: when a rebuild last needed it (retention prunes rows unused for long)."""

    __tablename__ = "narrative_phrases"
    __table_args__ = (Index("ix_narrative_phrases_used", "used_at"),)

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    phrases: Mapped[dict[str, Any]] = mapped_column(default=dict)  # phrase -> count
    used_at: Mapped[datetime] = mapped_column(default=utcnow)


class Alert(Base):
    """A narrative or claim whose count in the last hour rose far above its own trailing baseline (never about a
    person or an account)."""

    __tablename__ = "alerts"
    __table_args__ = (UniqueConstraint("subject_type", "subject_id", "window_start", name="uq_alerts_subject_window"),
                      Index("ix_alerts_created", "created_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_type: Mapped[str] = mapped_column(String(16))  # narrative | claim
    subject_id: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(Text)
    window_start: Mapped[datetime]
    window_end: Mapped[datetime]
    count: Mapped[int] = mapped_column(Integer)
    baseline: Mapped[float] = mapped_column(Float)  # expected posts per hour (trailing 7 days)
    p_value: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
