"""A lean serving path over the fitted production pipeline.

sklearn's generic machinery (FeatureUnion's joblib dispatch, input validation, sparse hstack) costs several
milliseconds per call, more than the model itself. ``FastScorer`` reads the *same fitted objects* out of the
pipeline and applies them directly: the vectorizers' own ``transform``, the imputer's statistics and the
scaler's mean/scale with numpy, and the logistic regression plus sigmoid calibration as a dot product.
Structures it does not recognise fall back to the pipeline; tests check both paths agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse
from scipy.special import expit
from sklearn.calibration import CalibratedClassifierCV, _SigmoidCalibration
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import StandardScaler

from classifier.features import MetadataFeatures, TokenString

__all__ = ["Block", "FastScorer"]


@dataclass
class Block:
    """One FeatureUnion part's output for a batch: columns [offset, offset + width)."""

    offset: int
    matrix: Any  # scipy CSR matrix or dense ndarray


class _TextPart:
    def __init__(self, tokens: TokenString, vectorizer: TfidfVectorizer):
        self.tokens = tokens
        self.vectorizer = vectorizer
        self.width = len(vectorizer.vocabulary_)

    def transform(self, posts: Sequence[Any]) -> Any:
        return self.vectorizer.transform(self.tokens.transform(posts)).tocsr()


class _MetaPart:
    def __init__(self, extract: MetadataFeatures, imputer: SimpleImputer, scaler: StandardScaler):
        self.extract = extract
        self.fill = np.asarray(imputer.statistics_, dtype=np.float64)
        self.mean = np.asarray(scaler.mean_ if scaler.mean_ is not None else 0.0, dtype=np.float64)
        self.scale = np.asarray(scaler.scale_ if scaler.scale_ is not None else 1.0, dtype=np.float64)
        self.width = self.fill.shape[0]

    def transform(self, posts: Sequence[Any]) -> np.ndarray:
        raw = self.extract.transform(posts)
        raw = np.where(np.isnan(raw), self.fill, raw)
        return (raw - self.mean) / self.scale


def _part(name: str, part: Any) -> _TextPart | _MetaPart | None:
    if not isinstance(part, Pipeline):
        return None
    steps = [s for _, s in part.steps]
    types = tuple(type(s) for s in steps)
    if len(steps) == 2 and isinstance(steps[0], TokenString) and isinstance(steps[1], TfidfVectorizer):
        return _TextPart(steps[0], steps[1])
    if types == (MetadataFeatures, SimpleImputer, StandardScaler) and steps[1].strategy != "constant":
        return _MetaPart(*steps)
    return None


def _linear(clf: Any) -> tuple[np.ndarray, float, _SigmoidCalibration | None] | None:
    if isinstance(clf, LogisticRegression) and clf.coef_.shape[0] == 1:
        return np.asarray(clf.coef_[0], np.float64), float(clf.intercept_[0]), None
    if isinstance(clf, CalibratedClassifierCV) and len(clf.calibrated_classifiers_) == 1:
        inner = clf.calibrated_classifiers_[0]
        if inner.method == "sigmoid" and len(inner.calibrators) == 1:
            base = _linear(inner.estimator)
            if base is not None and base[2] is None:
                return base[0], base[1], inner.calibrators[0]
    return None


class FastScorer:
    """Transforms posts into per-part feature blocks and scores them with the pipeline's fitted objects."""

    def __init__(self, pipeline: Pipeline):
        self.pipeline = pipeline
        self.clf = pipeline.steps[-1][1]
        union = pipeline.steps[0][1]
        parts = None
        if isinstance(union, FeatureUnion) and not union.transformer_weights and len(pipeline.steps) == 2:
            found = [_part(name, part) for name, part in union.transformer_list if part != "drop"]
            parts = None if any(p is None for p in found) else found
        self.parts: list[_TextPart | _MetaPart] | None = parts  # type: ignore[assignment]
        self.linear = _linear(self.clf)

    def blocks(self, posts: Sequence[Any]) -> list[Block]:
        """Feature blocks for ``posts`` (one per FeatureUnion part, in column order)."""
        if self.parts is None:
            features = self.pipeline[:-1].transform(posts)
            return [Block(0, features.tocsr() if sparse.issparse(features) else np.asarray(features))]
        out, offset = [], 0
        for part in self.parts:
            out.append(Block(offset, part.transform(posts)))
            offset += part.width
        return out

    def proba(self, blocks: list[Block]) -> np.ndarray:
        """Calibrated probability of the positive class for each row."""
        if self.linear is not None:
            coef, intercept, calibrator = self.linear
            decision = np.full(blocks[0].matrix.shape[0], intercept, dtype=np.float64)
            for b in blocks:
                width = b.matrix.shape[1]
                decision += np.asarray(b.matrix @ coef[b.offset : b.offset + width]).ravel()
            if calibrator is None:
                return expit(decision)
            return expit(-(calibrator.a_ * decision + calibrator.b_))
        mats = [b.matrix for b in blocks]
        full = sparse.hstack(mats, format="csr") if len(mats) > 1 else mats[0]
        return np.asarray(self.clf.predict_proba(full))[:, 1]
