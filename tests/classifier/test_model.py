from datetime import UTC, datetime

import pytest

from classifier import ClassifierError, PostInput, Verdict
from classifier.model import PARALLEL_MIN_BATCH


def test_empty_text_gets_a_verdict_in_undetermined_language(model):
    verdict = model.score_one(PostInput(text=""))
    assert isinstance(verdict, Verdict)
    assert verdict.language == "und"
    assert 0.0 <= verdict.score <= 1.0


def test_huge_text_gets_a_verdict(model):
    verdict = model.score_one(PostInput(text="Khẩn cấp chia sẻ ngay! " * 46_000))  # ~1 MB
    assert 0.0 <= verdict.score <= 1.0


def test_non_vietnamese_text_gets_a_verdict_with_its_language(model):
    assert model.score_one(PostInput(text="The quick brown fox is not news.")).language == "en"
    assert model.score_one(PostInput(text="这是一个测试")).language != "vi"
    assert model.score_one(PostInput(text="Người dân không nên hoang mang")).language == "vi"


def test_non_text_input_is_a_clear_error(model):
    with pytest.raises(ClassifierError, match="str"):
        model.score_one(PostInput(text=None))  # type: ignore[arg-type]


def test_missing_and_present_metadata_both_score(model):
    bare = model.score_one(PostInput(text="Bộ Y tế thông báo thêm ca mắc mới"))
    full = model.score_one(
        PostInput(
            text="Bộ Y tế thông báo thêm ca mắc mới",
            like_count=120,
            comment_count=4,
            share_count=30,
            published_at=datetime(2020, 4, 1, 8, tzinfo=UTC),
        )
    )
    naive = model.score_one(
        PostInput(text="Bộ Y tế thông báo thêm ca mắc mới", published_at=datetime(2020, 4, 1, 1))
    )
    for v in (bare, full, naive):
        assert 0.0 <= v.score <= 1.0


def test_label_is_score_at_or_above_threshold(model, small_train):
    for v in model.score([ex.text for ex in small_train[:50]]):
        assert v.label == (v.score >= v.threshold)
        assert v.threshold == model.threshold_for(v.case) and v.model_version == model.version


def test_parallel_batch_scores_equal_serial_scores(model, small_train):
    posts = [PostInput(text=ex.text, share_count=ex.share_count) for ex in small_train]
    posts = (posts * (PARALLEL_MIN_BATCH // len(posts) + 1))[: PARALLEL_MIN_BATCH + 10]
    parallel = model.score(posts, explain="flagged")
    serial = model._score_serial(posts, "flagged")
    assert [v.score for v in parallel] == [v.score for v in serial]
    assert [v.features for v in parallel] == [v.features for v in serial]


def test_empty_batch_gives_empty_list(model):
    assert model.score([]) == []
