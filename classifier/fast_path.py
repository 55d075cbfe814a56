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
from itertools import repeat
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

from classifier.case_explain import CaseInputs
from classifier.case_stack import CaseStack, case_of
from classifier.features import MetadataFeatures, TokenString
from classifier.records import INPUT_CASES
from classifier.stacking import LinearThenBoost

__all__ = ["Block", "FastScorer"]


@dataclass
class Block:
    """One FeatureUnion part's output for a batch: columns [offset, offset + width)."""

    offset: int
    matrix: Any  # scipy CSR matrix or dense ndarray
    imputed: np.ndarray | None = None  # metadata block: True where the value was unknown and imputed


def _plain_word_tfidf(v: TfidfVectorizer) -> bool:
    """True if ``v`` is configured the way ``_TextPart._tfidf`` reproduces (else use v.transform)."""
    return (
        v.analyzer == "word"
        and v.token_pattern == r"\S+"  # noqa: S105 - a regex, not a password
        and not v.lowercase
        and v.preprocessor is None
        and v.tokenizer is None
        and v.stop_words is None
        and not v.binary
        and v.norm == "l2"
        and v.use_idf
        and v.sublinear_tf
        and hasattr(v, "idf_")
    )


#: Joins a batch's token strings; never a model token (tokens are words or \x01 placeholders).
_DOC_SEPARATOR = "\x02"


class _NgramIndex:
    """The fitted vocabulary as sorted integer keys, so that a whole batch is looked up with numpy.

    Every syllable of the vocabulary gets an id >= 1; an n-gram (ids a, b, c) has the key (a*B + b)*B + c with
    B = number of ids + 1, so unigram, bigram and trigram keys fall in disjoint ranges. Each token of a batch
    costs one dict lookup; n-grams with a token outside the vocabulary's syllables cannot be in it.
    """

    def __init__(self, vocabulary: dict[str, int], max_n: int):
        terms = list(vocabulary)
        words = " ".join(terms).split(" ")
        ids = {w: i for i, w in enumerate(dict.fromkeys(words), start=1)}
        self.base = len(ids) + 1
        self.usable = self.base ** max(max_n, 1) < 2**62 and _DOC_SEPARATOR not in ids
        if not self.usable:
            return
        word_ids = np.fromiter(map(ids.__getitem__, words), dtype=np.int64, count=len(words))
        lengths = np.fromiter(map(str.count, terms, repeat(" ")), dtype=np.int64, count=len(terms)) + 1
        starts = np.cumsum(lengths) - lengths
        term_of = np.repeat(np.arange(len(terms)), lengths)
        place = lengths[term_of] - 1 - (np.arange(len(words)) - starts[term_of])  # 0 for a term's last word
        keys = np.add.reduceat(word_ids * np.power(self.base, place), starts) if terms else np.zeros(0, np.int64)
        cols = np.fromiter(vocabulary.values(), dtype=np.int64, count=len(terms))
        order = np.argsort(keys)
        self.keys = keys[order]
        self.cols = cols[order]
        ids[_DOC_SEPARATOR] = -1
        self.ids = ids

    def counts(self, docs: list[str], lo: int, hi: int, width: int) -> sparse.csr_matrix:
        """Term counts (docs x width) of the vocabulary's n-grams, lo <= n <= hi, within each doc."""
        words = f" {_DOC_SEPARATOR} ".join(docs).split()
        get = self.ids.get
        flat = np.fromiter((get(w, 0) for w in words), dtype=np.int64, count=len(words))
        doc_of = np.cumsum(flat == -1)
        flat[flat < 0] = 0  # a separator is an unknown token: no n-gram crosses it
        rows_parts, cols_parts = [], []
        for n in range(lo, hi + 1):
            m = len(flat) - n + 1
            if m <= 0:
                break
            key = flat[:m].copy()
            valid = key > 0
            for j in range(1, n):
                nxt = flat[j : j + m]
                valid &= nxt > 0
                key = key * self.base + nxt
            if not valid.any():
                continue
            start = np.flatnonzero(valid)
            key = key[start]
            pos = np.minimum(np.searchsorted(self.keys, key), len(self.keys) - 1)
            hit = self.keys[pos] == key
            rows_parts.append(doc_of[start[hit]])
            cols_parts.append(self.cols[pos[hit]])
        rows = np.concatenate(rows_parts) if rows_parts else np.zeros(0, dtype=np.int64)
        cols = np.concatenate(cols_parts) if cols_parts else np.zeros(0, dtype=np.int64)
        counts = sparse.coo_matrix(
            (np.ones(len(rows), dtype=np.float64), (rows, cols)), shape=(len(docs), width)
        ).tocsr()
        counts.sum_duplicates()
        return counts


class _TextPart:
    def __init__(self, tokens: TokenString, vectorizer: TfidfVectorizer):
        self.tokens = tokens
        self.vectorizer = vectorizer
        self.vocabulary = vectorizer.vocabulary_
        self.width = len(self.vocabulary)
        self.plain = _plain_word_tfidf(vectorizer)
        if self.plain:
            self.ngram_range = vectorizer.ngram_range
            self.idf = np.asarray(vectorizer.idf_)
            self.dtype = vectorizer.dtype
            self.index = _NgramIndex(self.vocabulary, self.ngram_range[1])
            self.plain = self.index.usable

    def transform(self, posts: Sequence[Any]) -> Any:
        docs = self.tokens.transform(posts)
        if not self.plain:
            return self.vectorizer.transform(docs).tocsr()
        return self._tfidf(docs)

    def _tfidf(self, docs: list[str]) -> sparse.csr_matrix:
        """TfidfVectorizer.transform for whitespace tokens, n-grams, sublinear tf, idf and l2 norm."""
        lo, hi = self.ngram_range
        X = self.index.counts(docs, lo, hi, self.width)
        X.data = X.data.astype(self.dtype)
        np.log(X.data, X.data)
        X.data += 1.0
        X.data *= self.idf[X.indices]
        sq = X.data.astype(np.float64) ** 2
        lengths = np.diff(X.indptr)
        norms = np.zeros(len(docs))
        nonempty = lengths > 0
        if sq.size:
            norms[nonempty] = np.sqrt(np.add.reduceat(sq, X.indptr[:-1][nonempty]))
        scale = np.repeat(np.where(norms > 0, norms, 1.0), lengths)
        X.data = (X.data / scale).astype(self.dtype)
        return X


class _MetaPart:
    def __init__(self, extract: MetadataFeatures, imputer: SimpleImputer, scaler: StandardScaler):
        self.extract = extract
        self.fill = np.asarray(imputer.statistics_, dtype=np.float64)
        self.mean = np.asarray(scaler.mean_ if scaler.mean_ is not None else 0.0, dtype=np.float64)
        self.scale = np.asarray(scaler.scale_ if scaler.scale_ is not None else 1.0, dtype=np.float64)
        self.width = self.fill.shape[0]

    def transform(self, posts: Sequence[Any]) -> tuple[np.ndarray, np.ndarray]:
        """Standardised features and the mask of values that were unknown (imputed with the median)."""
        raw = self.extract.transform(posts)
        unknown = np.isnan(raw)
        raw = np.where(unknown, self.fill, raw)
        return (raw - self.mean) / self.scale, unknown


class _RawMetaPart:
    """MetadataFeatures alone (the case heads' input): NaN where a count or the time is unknown."""

    def __init__(self, extract: MetadataFeatures):
        self.extract = extract
        self.width = len(extract.get_feature_names_out())

    def transform(self, posts: Sequence[Any]) -> tuple[np.ndarray, np.ndarray]:
        raw = self.extract.transform(posts)
        return raw, np.isnan(raw)


def _part(name: str, part: Any) -> _TextPart | _MetaPart | _RawMetaPart | None:
    if not isinstance(part, Pipeline):
        return None
    steps = [s for _, s in part.steps]
    types = tuple(type(s) for s in steps)
    if len(steps) == 2 and isinstance(steps[0], TokenString) and isinstance(steps[1], TfidfVectorizer):
        return _TextPart(steps[0], steps[1])
    if types == (MetadataFeatures, SimpleImputer, StandardScaler) and steps[1].strategy != "constant":
        return _MetaPart(*steps)
    if types == (MetadataFeatures,):
        return _RawMetaPart(steps[0])
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


class _BoostPredictor:
    """Vectorised prediction of a binary HistGradientBoostingClassifier (numerical features only):
    all trees are walked at once with numpy, avoiding sklearn's per-call overhead."""

    def __init__(self, boost: Any):
        trees = [preds[0] for preds in boost._predictors]
        sizes = [len(t.nodes) for t in trees]
        self.roots = np.cumsum([0] + sizes[:-1]).astype(np.int64)
        nodes = np.concatenate([t.nodes for t in trees])
        base = np.repeat(self.roots, sizes)
        leaf = nodes["is_leaf"].astype(bool)
        own = np.arange(len(nodes))
        self.left = np.where(leaf, own, nodes["left"].astype(np.int64) + base)
        self.right = np.where(leaf, own, nodes["right"].astype(np.int64) + base)
        self.feature = np.where(leaf, 0, nodes["feature_idx"])
        self.threshold = np.where(leaf, np.inf, nodes["num_threshold"])
        self.missing_left = np.where(leaf, True, nodes["missing_go_to_left"].astype(bool))
        self.value = nodes["value"]
        self.depth = int(nodes["depth"].max()) if len(nodes) else 0
        self.baseline = float(np.asarray(boost._baseline_prediction).ravel()[0])
        categorical = any(t.nodes["is_categorical"].any() for t in trees)
        self.ok = not categorical and boost.n_trees_per_iteration_ == 1

    def proba(self, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        n = X.shape[0]
        node = np.repeat(self.roots[:, None], n, axis=1)
        rows = np.arange(n)[None, :]
        for _ in range(self.depth):
            x = X[rows, self.feature[node]]
            go_left = np.where(np.isnan(x), self.missing_left[node], x <= self.threshold[node])
            node = np.where(go_left, self.left[node], self.right[node])
        return expit(self.baseline + self.value[node].sum(axis=0))


def _decision(blocks: list[Block], coef: np.ndarray, intercept: float) -> np.ndarray:
    decision = np.full(blocks[0].matrix.shape[0], intercept, dtype=np.float64)
    for b in blocks:
        width = b.matrix.shape[1]
        decision += np.asarray(b.matrix @ coef[b.offset : b.offset + width]).ravel()
    return decision


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
        self.parts: list[_TextPart | _MetaPart | _RawMetaPart] | None = parts  # type: ignore[assignment]
        self.linear = _linear(self.clf)
        self.stack = _linear(self.clf.linear_) if isinstance(self.clf, LinearThenBoost | CaseStack) else None
        #: the article route's text model (coefficients, intercept), when the model has one
        self.long_stack = (_linear(self.clf.long_linear_)
                           if isinstance(self.clf, CaseStack) and hasattr(self.clf, "long_linear_") else None)
        self.heads: dict[str, _BoostPredictor] | None = None
        self.boost: _BoostPredictor | None = None
        if isinstance(self.clf, CaseStack):
            self.heads = {case: _BoostPredictor(head) for case, head in self.clf.heads_.items()}
            if (not all(h.ok for h in self.heads.values()) or self.parts is None or self.stack is None
                    or (hasattr(self.clf, "long_linear_") and self.long_stack is None)):
                self.heads = None
        elif self.stack is not None:
            self.boost = _BoostPredictor(self.clf.boost_)

    def blocks(self, posts: Sequence[Any]) -> list[Block]:
        """Feature blocks for ``posts`` (one per FeatureUnion part, in column order)."""
        if self.parts is None:
            features = self.pipeline[:-1].transform(posts)
            return [Block(0, features.tocsr() if sparse.issparse(features) else np.asarray(features))]
        out, offset = [], 0
        for part in self.parts:
            if isinstance(part, _MetaPart | _RawMetaPart):
                matrix, unknown = part.transform(posts)
                out.append(Block(offset, matrix, imputed=unknown))
            else:
                out.append(Block(offset, part.transform(posts)))
            offset += part.width
        return out

    def case_inputs(self, blocks: list[Block]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """For a CaseStack model: the text model's decision value (the article route's text model on article
        rows), the similarity columns, the raw metadata, each row's case index and whether it takes the article
        route (what the heads read)."""
        assert self.stack is not None
        coef, intercept, _ = self.stack
        text = blocks[:-1]
        decision = _decision(text, coef, intercept)
        meta = np.asarray(blocks[-1].matrix, dtype=np.float64)
        article = self.clf.articles(meta)
        if article.any() and self.long_stack is not None:
            long_coef, long_intercept, _ = self.long_stack
            rows = np.flatnonzero(article)
            decision[rows] = _decision([Block(b.offset, b.matrix[rows]) for b in text], long_coef, long_intercept)
        joined = text[0].matrix if len(text) == 1 else sparse.hstack([b.matrix for b in text], format="csr")
        return decision, self.clf.neighbour_columns(joined), meta, self.clf.cases(meta), article

    def head_proba(self, case: str, inputs: np.ndarray) -> np.ndarray:
        """The probability that the head ``case`` (a head key: a case, or "<case>:article") gives rows of its
        input columns."""
        if self.heads is None:
            return np.asarray(self.clf.heads_[case].predict_proba(inputs))[:, 1]
        return self.heads[case].proba(inputs)

    def case_scores(self, blocks: list[Block]) -> CaseInputs:
        """For a CaseStack model: each row scored by the head of its case, with what the heads read."""
        if self.heads is None:  # a structure the fast path does not know: sklearn's own predict
            mats = [b.matrix for b in blocks]
            full = sparse.hstack(mats, format="csr") if len(mats) > 1 else mats[0]
            text, meta = self.clf.split(full)
            codes = self.clf.cases(meta)
            article = self.clf.articles(meta)
            used = np.asarray([INPUT_CASES.index(self.clf.head_for(int(c))) for c in codes], dtype=np.int64)
            return CaseInputs(self.clf.decisions(text, article), self.clf.neighbour_columns(text), meta,
                              used, self._fallback(blocks), article)
        decision, near, meta, codes, article = self.case_inputs(blocks)
        out = np.zeros(len(codes))
        used = codes.copy()
        keys = self.clf.keys(codes, article)
        for key in np.unique(keys):
            rows = keys == key
            used[rows] = INPUT_CASES.index(case_of(key))
            out[rows] = self.head_proba(key, CaseStack.head_input(key, decision[rows], near[rows], meta[rows]))
        return CaseInputs(decision, near, meta, used, out, article)

    def proba(self, blocks: list[Block]) -> np.ndarray:
        """Calibrated probability of the positive class for each row."""
        if isinstance(self.clf, CaseStack):
            return self.case_scores(blocks).proba
        if self.linear is not None:
            coef, intercept, calibrator = self.linear
            decision = _decision(blocks, coef, intercept)
            if calibrator is None:
                return expit(decision)
            return expit(-(calibrator.a_ * decision + calibrator.b_))
        if isinstance(self.clf, LinearThenBoost) and self.stack is not None and self.parts is not None:
            coef, intercept, _ = self.stack
            decision = _decision(blocks, coef, intercept)
            n_meta = self.clf.n_meta
            last = blocks[-1].matrix
            if n_meta and (sparse.issparse(last) or last.shape[1] != n_meta):
                return self._fallback(blocks)
            meta = np.asarray(last, dtype=np.float64) if n_meta else np.zeros((decision.shape[0], 0))
            columns = [decision, meta]
            if getattr(self.clf, "neighbours", 0):
                text = [b.matrix for b in (blocks[:-1] if n_meta else blocks)]
                joined = text[0] if len(text) == 1 else sparse.hstack(text, format="csr")
                columns.insert(1, self.clf.neighbour_columns(joined))
            stacked = np.column_stack(columns)
            if self.boost is not None and self.boost.ok:
                return self.boost.proba(stacked)
            return np.asarray(self.clf.boost_.predict_proba(stacked))[:, 1]
        return self._fallback(blocks)

    def _fallback(self, blocks: list[Block]) -> np.ndarray:
        mats = [b.matrix for b in blocks]
        full = sparse.hstack(mats, format="csr") if len(mats) > 1 else mats[0]
        return np.asarray(self.clf.predict_proba(full))[:, 1]
