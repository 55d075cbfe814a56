"""Per-post explanations of models trained before the case heads (``LinearThenBoost`` or a plain logistic
regression): which syllable n-grams and metadata pushed the score up, and where they are in the original text.
Models with case heads are explained by ``classifier.case_explain``.

The explanation uses the linear part of the pipeline (the logistic regression inside the calibrator; the
calibration is a monotone map, so a positive contribution always pushes the calibrated score up).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

from classifier.errors import ClassifierError
from classifier.fast_path import Block
from classifier.features import METADATA_FEATURE_NAMES
from classifier.records import FeatureEvidence
from classifier.stacking import LinearThenBoost
from classifier.tokens import token_spans

__all__ = ["LinearView", "METADATA_LABELS", "evidence_for_row", "linear_view"]

#: Reviewer-facing names for metadata features.
METADATA_LABELS = {
    "like_count": "số lượt thích",
    "comment_count": "số bình luận",
    "share_count": "số lượt chia sẻ",
    "like_count_missing": "không rõ lượt thích",
    "comment_count_missing": "không rõ số bình luận",
    "share_count_missing": "không rõ lượt chia sẻ",
    "hour_sin": "giờ đăng",
    "hour_cos": "giờ đăng",
    "weekday_sin": "ngày đăng trong tuần",
    "weekday_cos": "ngày đăng trong tuần",
    "time_missing": "không rõ thời điểm đăng",
    "text_length": "độ dài bài",
    "line_count": "số dòng",
    "exclamation_marks": "dấu chấm than",
    "question_marks": "dấu hỏi",
    "link_count": "liên kết",
    "hashtag_count": "hashtag",
    "emoji_count": "emoji",
    "capital_share": "tỉ lệ chữ hoa",
    "digit_share": "tỉ lệ chữ số",
    "empty_text": "bài không có chữ",
}

WORD, CHAR, META = 0, 1, 2


@dataclass
class LinearView:
    """Coefficients of the linear model over the FeatureUnion's columns, with each column's term and kind."""

    coef: np.ndarray
    terms: np.ndarray
    kinds: np.ndarray


def _coefficients(clf: object) -> np.ndarray:
    if isinstance(clf, LogisticRegression):
        return np.asarray(clf.coef_[0], dtype=np.float64)
    if isinstance(clf, LinearThenBoost):
        return _coefficients(clf.linear_)
    if isinstance(clf, CalibratedClassifierCV):
        coefs = [_coefficients(c.estimator) for c in clf.calibrated_classifiers_]
        return np.mean(coefs, axis=0)
    raise ClassifierError(f"cannot explain a {type(clf).__name__}: no linear component")


def linear_view(pipeline: Pipeline) -> LinearView:
    """Extract the explainable linear view of a fitted production pipeline."""
    union = pipeline.named_steps["features"]
    if not isinstance(union, FeatureUnion):
        raise ClassifierError("pipeline has no FeatureUnion 'features' step")
    terms: list[str] = []
    kinds: list[int] = []
    for name, part in union.transformer_list:
        last = part.steps[-1][1] if isinstance(part, Pipeline) else part
        if name == "meta":
            names = list(METADATA_FEATURE_NAMES)
            kind = META
        else:
            names = list(last.get_feature_names_out())
            kind = CHAR if name == "chars" else WORD
        terms.extend(names)
        kinds.extend([kind] * len(names))
    coef = _coefficients(pipeline.steps[-1][1])
    if coef.shape[0] != len(terms):
        raise ClassifierError(f"model has {coef.shape[0]} coefficients but {len(terms)} feature names")
    return LinearView(coef=coef, terms=np.asarray(terms, dtype=object), kinds=np.asarray(kinds))


def _word_spans(original: str) -> list[tuple[str, int, int]]:
    out = []
    for tok, start, end in token_spans(original):
        for part in tok.split(" "):
            out.append((part, start, end))
    return out


def _find_ngram(
    tokens: list[tuple[str, int, int]], where: dict[str, list[int]], ngram: list[str]
) -> tuple[tuple[int, int], ...]:
    n = len(ngram)
    spans = []
    for i in where.get(ngram[0], ()):
        if i + n <= len(tokens) and all(tokens[i + k][0] == ngram[k] for k in range(1, n)):
            spans.append((tokens[i][1], tokens[i + n - 1][2]))
    # a teencode expansion ('mn' -> 'mọi người') yields two tokens over one span: merge duplicates
    return tuple(dict.fromkeys(spans))


def _row_entries(blocks: Sequence[Block], i: int) -> tuple[np.ndarray, np.ndarray]:
    """Column indices and values of row ``i`` across feature blocks, leaving out imputed (unknown) values:
    a median standing in for a missing count is not something the post shows."""
    cols, vals = [], []
    for b in blocks:
        m = b.matrix
        if sparse.issparse(m):
            start, end = m.indptr[i], m.indptr[i + 1]
            cols.append(m.indices[start:end].astype(np.int64) + b.offset)
            vals.append(m.data[start:end].astype(np.float64))
        else:
            dense = np.asarray(m[i], dtype=np.float64).ravel()
            known = dense != 0
            if b.imputed is not None:
                known &= ~np.asarray(b.imputed[i], dtype=bool).ravel()
            nz = np.flatnonzero(known)
            cols.append(nz + b.offset)
            vals.append(dense[nz])
    return np.concatenate(cols), np.concatenate(vals)


def evidence_for_row(
    view: LinearView, blocks: Sequence[Block], i: int, original_text: str, top_k: int = 8
) -> tuple[FeatureEvidence, ...]:
    """Top positive contributions x_j * coef_j of row ``i``, with spans in the original text."""
    idx, values = _row_entries(blocks, i)
    contrib = values * view.coef[idx]
    # a below-average metadata value times a negative weight is "positive" too, but "few links" is not a
    # reason a reviewer can check: report metadata only when the post has more of it than average
    positive = (contrib > 0) & ((view.kinds[idx] != META) | (values > 0))
    idx, contrib = idx[positive], contrib[positive]
    if idx.size == 0:
        return ()
    order = np.argsort(-contrib, kind="stable")
    tokens: list[tuple[str, int, int]] | None = None
    where: dict[str, list[int]] = {}
    merged: dict[str, tuple[float, tuple[tuple[int, int], ...]]] = {}
    for j in order:
        if len(merged) >= top_k:
            break
        col = idx[j]
        kind = view.kinds[col]
        raw = str(view.terms[col])
        spans: tuple[tuple[int, int], ...] = ()
        if kind == WORD:
            if tokens is None:
                tokens = _word_spans(original_text)
                for pos, (tok, _, _) in enumerate(tokens):
                    where.setdefault(tok, []).append(pos)
            term = raw
            spans = _find_ngram(tokens, where, raw.split(" "))
        elif kind == CHAR:
            term = raw.strip()
        else:
            term = METADATA_LABELS.get(raw, raw)
        weight, old_spans = merged.get(term, (0.0, ()))
        merged[term] = (weight + float(contrib[j]), old_spans or spans)
    ranked = sorted(merged.items(), key=lambda kv: -kv[1][0])[:top_k]
    signals = set(METADATA_LABELS.values())
    return tuple(FeatureEvidence(term=t, weight=w, spans=s, kind="signal" if t in signals else "phrase",
                                 note=t if t in signals else "") for t, (w, s) in ranked)
