"""Explain flagged posts after they are queued: the words, phrases and signals that raised their score.

Scoring (``service.ingest``) writes verdicts and queue items without evidence, marking flagged verdicts
``explain_pending``; word segmentation for the explanations costs ~6 ms a post, more than scoring itself.
:func:`explain_pending` fills that evidence in batches with the model's own explain path
(``score(..., explain=True)`` on the snapshot text and the post's figures): the same evidence, byte for byte,
as scoring with ``explain="flagged"`` gave before. It runs right after a crawl's scoring (one process), on the
scheduler's background round (what a crash left behind), and as ``kiemtin.explain_pending`` on the score queue
(with a broker). :func:`ensure_explained` is the safety net of the item page, the API and the decide
adapters: an item (and its cluster) still waiting gets its evidence there and then.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from review.explanations import PendingExplanation, pending_explanations, store_explanations
from service.ingest import model_inputs
from service.runtime import Runtime

__all__ = ["EXPLAIN_BATCH", "ensure_explained", "explain_pending"]

log = logging.getLogger("kiemtin.explain")

#: Verdicts explained per model call: large, so most calls are spread over the model's worker processes
#: (``PARALLEL_MIN_BATCH``) rather than leaving a serial remainder.
EXPLAIN_BATCH = 2048


def _explain_batch(runtime: Runtime, batch: Sequence[PendingExplanation]) -> int:
    """Explain one batch outside any transaction and store it; returns how many this call stored."""
    verdicts = runtime.model().score(model_inputs(batch), explain=True)
    return store_explanations(runtime.db, {
        p.verdict_id: [f.as_dict() for f in v.features] for p, v in zip(batch, verdicts, strict=True)})


def explain_pending(runtime: Runtime, *, limit: int | None = None, source_id: int | None = None,
                    verdict_ids: Sequence[int] | None = None, batch: int = EXPLAIN_BATCH) -> int:
    """Fill the evidence of flagged verdicts still waiting for it (of one source, or the given verdicts, or all),
    up to ``limit`` of them, oldest first; returns how many this call stored. Safe to run in several processes
    at once: a verdict stored by another is skipped when storing."""
    done = stored = last = 0
    while limit is None or done < limit:
        size = batch if limit is None else min(batch, limit - done)
        with runtime.db.session() as session:
            pending = pending_explanations(session, limit=size, after_id=last, source_id=source_id,
                                           verdict_ids=verdict_ids)
        if not pending:
            break
        stored += _explain_batch(runtime, pending)
        done += len(pending)
        last = pending[-1].verdict_id
    if stored:
        log.debug("explained %d flagged posts", stored)
    return stored


def ensure_explained(runtime: Runtime, item_ids: Sequence[int]) -> int:
    """The safety net before anyone sees or decides items: compute and store now the evidence still pending of
    the items and of the items in their clusters (~6 ms a post); returns how many were stored."""
    stored = 0
    with runtime.db.session() as session:
        pending = pending_explanations(session, limit=10_000, items=item_ids) if item_ids else []
    for start in range(0, len(pending), EXPLAIN_BATCH):
        stored += _explain_batch(runtime, pending[start : start + EXPLAIN_BATCH])
    return stored
