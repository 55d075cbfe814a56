"""Narrative rebuild and spike check at scale: one scheduler tick's time and SQL statements at 10,000 claims.

    python bench/narratives_bench.py [--claims 10000] [--posts 40000] [--flagged 4000] [--rounds 3] [--stub-phrases]

Builds a database (PostgreSQL when KIEMTIN_TEST_POSTGRES_URL names a server, else a SQLite file) with
``--claims`` claims (the first sentences of ReINTEL posts, as ``claims_bench``), ``--posts`` posts (ReINTEL
texts) first seen over the last 8 days, each matched to one claim (the first 500 also linked to another), and
``--flagged`` of them flagged in the queue. Then times ``rebuild_narratives`` (the hourly step) and
``check_spikes`` (every 10 minutes; best of ``--rounds``) and counts the SQL statements each runs (one per
execution, however the driver batches a bulk insert). The rebuild runs twice: the first tick segments every
unit's text (an empty ``narrative_phrases``: a new install), the second only what changed (nothing here: the
kept phrases of every text are read back). Each rebuild's time is split into the keyword phrase counts
(underthesea word segmentation of the texts not kept, ``classifier.narrative_terms.phrase_counts``) and the rest
(the database work and ranking); ``--stub-phrases`` replaces the segmentation with one made-up phrase per unit
(every unit its own narrative: as many narratives as claims) to time the database work alone. Ends with ONE
JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from claims_bench import claim_texts, read  # noqa: E402
from sqlalchemy import Table, insert  # noqa: E402

import service.narratives as narratives_module  # noqa: E402
from config import AppConfig, Settings  # noqa: E402
from service.narratives import check_spikes, rebuild_narratives  # noqa: E402
from service.runtime import Runtime  # noqa: E402
from store import Database  # noqa: E402
from store.models import Claim, ClaimLink, ClaimMatch, Post, QueueItem, Snapshot, Verdict  # noqa: E402
from store.types import utcnow  # noqa: E402
from tests_support import count_statements, fresh_postgres_database  # noqa: E402


def _table(model: Any) -> Table:
    table: Table = model.__table__
    return table


def build(db: Database, claims: list[str], texts: list[str], posts: int, flagged: int) -> None:
    """The claims, posts (with a snapshot and one claim match each) and flagged queue items, inserted in bulk."""
    rnd, now = random.Random(7), utcnow()
    with db.engine.begin() as conn:
        conn.execute(insert(_table(Claim)), [
            {"id": i + 1, "key": f"bench-{i}", "text": text, "verdict": "false", "created_by": "bench"}
            for i, text in enumerate(claims)])
        conn.execute(insert(_table(Post)), [
            {"id": i + 1, "platform": "rss", "external_id": f"bench-{i}", "url": f"https://example.vn/{i}",
             "canonical_url": f"https://example.vn/{i}", "text": f"{texts[i % len(texts)]} ({i})",
             "content_sha256": f"{i:064x}", "language": "vi",
             "first_seen_at": now - timedelta(minutes=rnd.randrange(8 * 24 * 60))} for i in range(posts)])
        conn.execute(insert(_table(Snapshot)), [
            {"id": i + 1, "post_id": i + 1, "text": "-", "sha256": f"{i:064x}", "url": f"https://example.vn/{i}"}
            for i in range(posts)])
        conn.execute(insert(_table(ClaimMatch)), [
            {"claim_id": rnd.randrange(len(claims)) + 1, "post_id": i + 1, "snapshot_id": i + 1, "score": 0.9,
             "tier": "auto"} for i in range(posts)])
        conn.execute(insert(_table(ClaimLink)), [
            {"claim_id": (i * 7919) % len(claims) + 1, "post_id": i + 1, "linked_by": "bench"}
            for i in range(min(500, posts))])
        chosen = rnd.sample(range(posts), min(flagged, posts))
        conn.execute(insert(_table(Verdict)), [
            {"id": n + 1, "post_id": i + 1, "snapshot_id": i + 1, "model_version": "bench", "score": 0.9,
             "label": True, "threshold": 0.5} for n, i in enumerate(chosen)])
        conn.execute(insert(_table(QueueItem)), [
            {"post_id": i + 1, "verdict_id": n + 1, "status": "pending", "score": 0.9,
             "created_at": now - timedelta(days=rnd.randrange(20))} for n, i in enumerate(chosen)])


def timed(runtime: Runtime, step: Any, rounds: int) -> tuple[float, int, Any]:
    """Best wall time of ``rounds`` runs of ``step``, the statements of the last, and its result."""
    best, result, statements = float("inf"), None, 0
    for _ in range(rounds):
        with count_statements(runtime.db.engine) as seen:
            started = time.perf_counter()
            result = step(runtime)
            best = min(best, time.perf_counter() - started)
        statements = len(seen)
    return best, statements, result


def stub_phrases(texts: list[str], known: Any = None, **_kw: Any) -> list[Counter[str]]:
    """One phrase of its own per unit, instantly (for ``--stub-phrases``)."""
    return [Counter({f"unit {i}": 1}) for i in range(len(texts))]


class Stopwatch:
    """Wraps a function of ``module`` and adds up the seconds spent in it."""

    def __init__(self, module: Any, name: str) -> None:
        self.seconds, inner = 0.0, getattr(module, name)

        def wrapped(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return inner(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - started

        setattr(module, name, wrapped)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--claims", type=int, default=10_000)
    parser.add_argument("--posts", type=int, default=40_000)
    parser.add_argument("--flagged", type=int, default=4_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--stub-phrases", action="store_true", help="no word segmentation: one phrase per unit")
    args = parser.parse_args()
    claims = claim_texts(args.claims)
    texts = [t[:1000] for t in read("private_test.csv") + read("public_train.csv") if t.strip()]
    base = os.environ.get("KIEMTIN_TEST_POSTGRES_URL")
    with tempfile.TemporaryDirectory(prefix="kiemtin-narratives-bench-") as workdir:
        context = fresh_postgres_database(base, prefix="kiemtin_narratives_bench") if base else None
        url = context.__enter__() if context else f"sqlite:///{Path(workdir) / 'bench.db'}"
        try:
            db = Database(url)
            db.upgrade()
            build(db, claims, texts, args.posts, args.flagged)
            db.dispose()
            runtime = Runtime.open(AppConfig(settings=Settings(database_url=url, models_dir=REPO / "models")))
            if args.stub_phrases:
                narratives_module.phrase_counts = stub_phrases  # type: ignore[assignment]
            grouping = Stopwatch(narratives_module, "phrase_counts")
            first_s, first_sql, _built = timed(runtime, rebuild_narratives, 1)
            first_phrases_s, grouping.seconds = grouping.seconds, 0.0
            rebuild_s, rebuild_sql, narratives = timed(runtime, rebuild_narratives, 1)
            check_s, check_sql, checks = timed(runtime, check_spikes, args.rounds)
            runtime.close()
        finally:
            if context:
                context.__exit__(None, None, None)
    backend = "postgresql" if base else "sqlite"
    print(f"{len(claims):,} claims, {args.posts:,} posts ({args.flagged:,} flagged) on {backend}")
    print(f"rebuild_narratives, first tick (nothing kept): {first_s:.2f} s, {first_sql} SQL statements; "
          f"{first_phrases_s:.2f} s of it keyword phrases (word segmentation), {first_s - first_phrases_s:.2f} s "
          "the rest (database)")
    print(f"rebuild_narratives, second tick (phrases kept): {rebuild_s:.2f} s, {rebuild_sql} SQL statements, "
          f"{narratives:,} narratives; {grouping.seconds:.2f} s of it keyword phrases (none segmented), "
          f"{rebuild_s - grouping.seconds:.2f} s the rest (database)")
    print(f"check_spikes: {check_s:.2f} s, {check_sql} SQL statements, {len(checks):,} subjects tested, "
          f"{sum(c.alerted for c in checks)} alerts")
    print(f"hourly tick (rebuild + check): {rebuild_s + check_s:.2f} s (wall time counts other processes' load)")
    print(json.dumps({"backend": backend, "stub_phrases": args.stub_phrases, "claims": len(claims),
                      "posts": args.posts, "flagged": args.flagged,
                      "narratives": narratives, "subjects": len(checks),
                      "first_rebuild_s": round(first_s, 3), "first_rebuild_statements": first_sql,
                      "first_rebuild_phrases_s": round(first_phrases_s, 3), "rebuild_s": round(rebuild_s, 3),
                      "rebuild_statements": rebuild_sql, "rebuild_phrases_s": round(grouping.seconds, 3),
                      "rebuild_database_s": round(rebuild_s - grouping.seconds, 3), "check_s": round(check_s, 3),
                      "check_statements": check_sql, "tick_s": round(rebuild_s + check_s, 3)}))


if __name__ == "__main__":
    main()
