"""Claim matching: reworded, unaccented and partial copies of a known claim are matched, unrelated posts are not;
matches are recorded once per text, raise the item and an auto match queues its post; a person still decides."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from builders import flag, people
from classifier.claim_match import METHODS, ClaimIndex
from config import Settings
from pipeline import app
from review.actors import CONSOLE_ACTOR
from review.claims import ClaimInput, import_claims
from service.claim_matching import match_snapshots, match_texts, tier_for
from service.runtime import Runtime
from store.models import AuditEntry, ClaimMatch, QueueItem, Snapshot, Verdict
from store.posts import upsert_post
from tests_support import crawled

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))
from claims_eval import load_set  # noqa: E402

CLAIM = "Vắc xin COVID-19 có chứa chip theo dõi 5G"
OTHER = "Uống nước chanh nóng mỗi sáng giết chết tế bào ung thư"
SETTINGS = Settings()


@pytest.mark.parametrize("post", [
    "Sự thật động trời: vắc-xin covid 19 có chứa con chip theo dõi qua sóng 5G!!!",  # reworded repost
    "Su that dong troi: vac-xin covid 19 co chua con chip theo doi qua song 5G!!!",  # unaccented
    "vắc xin có chứa chip theo dõi",  # partly copied
    "Đọc được trên nhóm phụ huynh: vắc xin COVID-19 có chứa chip theo dõi 5G, tiêm vào là bị giám sát",
])
def test_copies_of_a_claim_match_it_and_unrelated_posts_do_not(post: str) -> None:
    index = ClaimIndex([OTHER, CLAIM, "Đập thủy điện Hòa Bình bị nứt và sắp vỡ"])
    [[best, *_]] = index.top([post], minimum=SETTINGS.claim_suggest_threshold)
    assert best.claim == 1
    [unrelated] = index.top(["Bộ Y tế khuyến cáo người cao tuổi tiêm mũi nhắc lại vắc xin COVID-19"],
                            minimum=SETTINGS.claim_suggest_threshold)
    assert unrelated == []


def test_very_short_texts_are_only_suggested() -> None:
    assert tier_for(0.95, "vắc xin có chip 5G", SETTINGS) == "suggest"
    assert tier_for(0.95, CLAIM + " chia sẻ ngay cho mọi người", SETTINGS) == "auto"
    assert tier_for(0.1, CLAIM, SETTINGS) is None


@pytest.mark.parametrize("method", METHODS)
def test_every_method_reads_an_empty_index_and_empty_texts(method: str) -> None:
    assert ClaimIndex([], method=method).top(["a"], minimum=0.1) == [[]]
    best, score = ClaimIndex([CLAIM], method=method).best(["", "🙏"])
    assert np.all(score == 0)


def test_the_default_method_keeps_its_figures_on_the_matching_set() -> None:
    """The figures the README reports (bench/claims_eval.py): recall@1, and recall with no unrelated post at the
    suggest threshold, on the set in tests/fixtures/claims."""
    claims, positives, unrelated = load_set()
    index = ClaimIndex(claims)
    best, score = index.best([p for p, _c, _k in positives])
    right = best == np.array([c for _p, c, _k in positives])
    assert right.mean() >= 0.95
    assert (right & (score >= SETTINGS.claim_suggest_threshold)).mean() >= 0.75
    _b, unrelated_scores = index.best(unrelated)
    assert unrelated_scores.max() < SETTINGS.claim_suggest_threshold


def _capture(runtime: Runtime, external_id: str, text: str, *, score: float = 0.2) -> int:
    """A stored post with a verdict below the threshold (not queued): its snapshot id."""
    with runtime.db.write() as s:
        result = upsert_post(session=s, captured=crawled(external_id, text=text), source_id=None, simhash=None)
        s.add(Verdict(post_id=result.post.id, snapshot_id=result.snapshot.id, model_version="test-1", score=score,
                      label=False, threshold=0.5, features=[]))
        return result.snapshot.id


def test_matches_are_recorded_once_raise_the_item_and_an_auto_match_queues_the_post(runtime: Runtime) -> None:
    import_claims(runtime.db, CONSOLE_ACTOR, [ClaimInput(text=CLAIM, category="health_misinformation"),
                                              ClaimInput(text=OTHER)])
    flagged = flag(runtime.db, "f1", text="Sự thật: vắc-xin covid 19 có chứa con chip theo dõi qua sóng 5G!!!")
    with runtime.db.session() as s:
        item = s.get(QueueItem, flagged)
        assert item is not None
        before, flagged_snapshot = item.priority, s.scalar(select(Snapshot.id).where(Snapshot.post_id == item.post_id))
    unflagged = _capture(runtime, "u1", "Nghe nói vắc xin COVID-19 có chứa chip theo dõi 5G, mọi người cẩn thận nhé")
    short = _capture(runtime, "s1", "vắc xin có chứa chip theo dõi")
    unrelated = _capture(runtime, "n1", "Thời tiết Hà Nội tuần này có mưa rào và dông vài nơi")
    batch = [(flagged_snapshot, "Sự thật: vắc-xin covid 19 có chứa con chip theo dõi qua sóng 5G!!!"),
             (unflagged, "Nghe nói vắc xin COVID-19 có chứa chip theo dõi 5G, mọi người cẩn thận nhé"),
             (short, "vắc xin có chứa chip theo dõi"),
             (unrelated, "Thời tiết Hà Nội tuần này có mưa rào và dông vài nơi")]
    assert match_snapshots(runtime, batch) == 3
    assert match_snapshots(runtime, batch) == 0  # once per text and claim
    with runtime.db.session() as s:
        tiers = {m.snapshot_id: (m.claim_id, m.tier) for m in s.scalars(select(ClaimMatch))}
        assert tiers == {flagged_snapshot: (1, "auto"), unflagged: (1, "auto"), short: (1, "suggest")}
        assert s.get(QueueItem, flagged).priority > before  # type: ignore[union-attr]
        queued = {i.post_id for i in s.scalars(select(QueueItem))}
        posts = {sid: s.get(Snapshot, sid).post_id for sid in (unflagged, short)}  # type: ignore[union-attr]
        assert posts[unflagged] in queued and posts[short] not in queued  # a suggestion queues nothing
        assert s.scalar(select(QueueItem.status).where(QueueItem.post_id == posts[unflagged])) == "pending"
        assert len(s.scalars(select(AuditEntry).where(AuditEntry.action == "claim.match")).all()) == 3


def test_claims_match_prints_json_best_first(cli_env: Path) -> None:
    runner = CliRunner()
    (cli_env / "c.jsonl").write_text("".join(json.dumps({"text": t}) + "\n" for t in (OTHER, CLAIM)),
                                     encoding="utf-8")
    assert runner.invoke(app, ["claims", "import", "c.jsonl"]).exit_code == 0
    result = runner.invoke(app, ["claims", "match", "Su that: vac-xin covid 19 co chua chip theo doi 5G", "--json"])
    assert result.exit_code == 0, result.output
    [hit] = json.loads(result.output)["matches"]
    assert hit["claim_id"] == 2 and hit["tier"] in ("auto", "suggest") and 0 < hit["score"] <= 1
    none = runner.invoke(app, ["claims", "match", "Chúc mọi người cuối tuần vui vẻ", "--json"])
    assert json.loads(none.output) == {"matches": []}


def test_match_texts_on_a_database_without_claims(runtime: Runtime) -> None:
    people(runtime.db, ("ana", "analyst"))
    assert match_texts(runtime.db, SETTINGS, ["bất kỳ"]) == [[]]
