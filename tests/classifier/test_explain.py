import unicodedata

import numpy as np
import pytest
from scipy import sparse

from classifier import PostInput, load_model
from classifier.explain import META, WORD, LinearView, evidence_for_row
from classifier.fast_path import Block
from classifier.tokens import normalised_tokens
from vntext import normalize_text

TEXT = (
    "KHẨN CẤP!!! Chia sẻ ngay: thuốc đặc trị virus corona đã được tìm ra, Bộ Y tế giấu thông tin, "
    "hoà bình thuỷ lợi, mọi người cảnh giác, lan truyền cho người thân"
)


@pytest.fixture(scope="module")
def model(trained):
    models_dir, _ = trained
    return load_model(models_dir)


def _check_spans_point_at_terms(verdict, original):
    with_spans = [f for f in verdict.features if f.spans]
    assert with_spans, "expected at least one word feature mapped to the text"
    for feature in with_spans:
        for start, end in feature.spans:
            assert 0 <= start < end <= len(original)
            assert normalised_tokens(original[start:end]) == feature.term.split(" ")


def test_features_push_up_and_are_sorted_strongest_first(model):
    verdict = model.score_one(PostInput(text=TEXT))
    weights = [f.weight for f in verdict.features]
    assert 0 < len(weights) <= 8
    assert all(w > 0 for w in weights)
    assert weights == sorted(weights, reverse=True)


def test_explanation_spans_point_at_the_words_in_the_original_text(model):
    _check_spans_point_at_terms(model.score_one(PostInput(text=TEXT)), TEXT)


def test_explanation_spans_survive_nfd_input_and_zero_width_characters(model):
    nasty = unicodedata.normalize("NFD", TEXT).replace("ngay", "ng\u200bay").replace("cảnh", "c\u200dảnh")
    assert normalize_text(nasty) == normalize_text(TEXT)
    verdict = model.score_one(PostInput(text=nasty))
    _check_spans_point_at_terms(verdict, nasty)
    plain = model.score_one(PostInput(text=TEXT))
    assert [f.term for f in verdict.features] == [f.term for f in plain.features]
    assert verdict.score == pytest.approx(plain.score)


def test_explanation_spans_point_at_the_exact_characters_of_an_unnormalised_text(model):
    """The captured text is stored as it was: NFD letters, zero-width characters inside words, ð for đ and emoji
    ZWJ sequences stay. Each span must cover exactly the word characters that make up its term."""
    family = "👨\u200d👩\u200d👧"
    exact = (unicodedata.normalize("NFD", TEXT).replace("ngay", "ng\u200bay").replace("đã", "ðã")
             .replace("thông tin", f"thông{family}tin") + f" {family}\u200d KHẨN CẤP{family}")
    verdict = model.score([PostInput(text=exact)], explain=True, explain_min_score=0.0)[0]
    _check_spans_point_at_terms(verdict, exact)
    words = [f for f in verdict.features if f.spans]
    assert words
    for feature in words:
        for start, end in feature.spans:
            piece = exact[start:end]
            assert piece[0].isalnum()
            assert piece[-1].isalnum() or unicodedata.combining(piece[-1])
            assert "\u200d" not in piece and "👨" not in piece
    assert family in exact  # scoring never changes the caller's text
    assert verdict.language == "vi"


def test_explain_false_gives_no_features(model):
    [verdict] = model.score([PostInput(text=TEXT)], explain=False)
    assert verdict.features == ()


def test_metadata_is_only_cited_when_the_post_has_more_of_it_than_usual():
    view = LinearView(
        coef=np.array([1.0, -2.0, 0.5]),
        terms=np.array(["khẩn", "link_count", "exclamation_marks"], dtype=object),
        kinds=np.array([WORD, META, META]),
    )
    blocks = [Block(0, sparse.csr_matrix([[0.5]])), Block(1, np.array([[-1.0, 2.0]]))]
    evidence = evidence_for_row(view, blocks, 0, "Khẩn!!")
    # link_count: below average (-1) times a negative weight is a positive contribution, but not a reason
    assert [(f.term, f.spans) for f in evidence] == [("dấu chấm than", ()), ("khẩn", ((0, 4),))]


def test_unknown_metadata_is_never_cited_even_when_its_imputed_value_pushes_the_score():
    view = LinearView(
        coef=np.array([1.0, 0.8, 0.5]),
        terms=np.array(["khẩn", "comment_count", "exclamation_marks"], dtype=object),
        kinds=np.array([WORD, META, META]),
    )
    meta = np.array([[1.5, 2.0]])  # the comment count's 1.5 is the training median standing in for "unknown"
    known = evidence_for_row(view, [Block(0, sparse.csr_matrix([[0.5]])), Block(1, meta)], 0, "Khẩn!!")
    unknown = evidence_for_row(
        view,
        [Block(0, sparse.csr_matrix([[0.5]])), Block(1, meta, imputed=np.array([[True, False]]))],
        0,
        "Khẩn!!",
    )
    assert "số bình luận" in [f.term for f in known]
    assert [f.term for f in unknown] == ["dấu chấm than", "khẩn"]


def test_the_scorer_marks_unknown_counts_and_time_as_imputed(model):
    from datetime import UTC, datetime

    bare, counted = model.scorer.blocks(
        [PostInput(text=TEXT), PostInput(text=TEXT, like_count=5, comment_count=0, share_count=9,
                                         published_at=datetime(2020, 3, 1, 8, tzinfo=UTC))]
    )[-1].imputed
    assert bare[:7].all() and not counted[:7].any()  # like/comment/share counts, hour and weekday
    assert not bare[7:].any()  # surface features of the text are always known
