"""Stacking with one head per input case: a linear text model's out-of-fold score and the post's similarity to
labelled posts feed a gradient-boosted head for each combination of inputs a source can deliver."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from classifier.boost import CompactBoost
from classifier.features import CASE_COLUMNS, LENGTH_COLUMNS, METADATA_FEATURE_NAMES, case_codes
from classifier.records import INPUT_CASES, ROUTE_ARTICLE
from classifier.stacking import TextStackBase, _reference, _similarity_columns

__all__ = ["CaseStack", "N_SIMILARITY", "case_of", "head_columns", "head_key"]

#: Similarity columns: best and mean of the k closest unreliable posts, then of the k closest reliable ones.
N_SIMILARITY = 4
_TEXT_LENGTH = METADATA_FEATURE_NAMES.index("text_length")


def head_key(case: str, article: bool) -> str:
    """The key of a head in ``CaseStack.heads_``: the case, or "<case>:article" for the article route."""
    return f"{case}:{ROUTE_ARTICLE}" if article else case


def case_of(key: str) -> str:
    """The input case of a head key."""
    return key.split(":", 1)[0]


def head_columns(key: str) -> tuple[int, ...]:
    """The metadata columns the head ``key`` reads: its case's, without text length and line count on the
    article route (those cues tell short from long posts in ReINTEL and mislead on articles)."""
    columns = CASE_COLUMNS[case_of(key)]
    return tuple(c for c in columns if c not in LENGTH_COLUMNS) if key != case_of(key) else columns


class CaseStack(TextStackBase):
    """Logistic regression on the text columns; its out-of-fold decision value, four similarity columns and the
    metadata columns a case has feed one HistGradientBoostingClassifier per input case.

    ``X`` is the FeatureUnion output: TF-IDF columns, then the last ``n_meta`` columns, MetadataFeatures output
    with NaN where a count or the time is unknown (not imputed). Each row's case follows from which of them are
    known (``classifier.features.case_codes``). The "text" head learns from every row with its counts and time
    left out, the "text_time" head from every row that has a time (counts left out), the "text_counts_time"
    head from the rows that have all three counts and the time: each head is calibrated for posts that arrive
    with exactly those inputs, and a post is scored by the head of its case. No value is ever imputed.

    ``linear_`` (fitted on all rows) explains the text; ``references_[case]`` holds the median of each head
    input over its training rows (an explanation replaces a group of inputs by these to see what it did);
    ``unreliable_refs_`` names, per stored unreliable post, where it came from ("" when unknown).

    **Article route** (``long_chars`` > 0): a text of at least ``long_chars`` characters (article-like) is scored
    by a second head of its case, ``"<case>:article"`` in ``heads_``, which reads the decision value of
    ``long_linear`` (a more strongly regularised logistic regression on the same text columns, ``long_linear_``)
    instead of ``linear``'s, and no text length or line count. Those heads learn from the same rows as the
    case's own head (all posts, not only long ones: measured better, models/README.md round 4).
    """

    def __init__(
        self,
        linear: LogisticRegression | None = None,
        n_meta: int = 0,
        boost_params: dict[str, Any] | None = None,
        cv: int = 5,
        random_state: int = 13,
        neighbours: int = 0,
        neighbour_max_df: float = 0.05,
        long_chars: int = 0,
        long_linear: LogisticRegression | None = None,
    ):
        super().__init__(linear=linear, n_meta=n_meta, boost_params=boost_params, cv=cv, random_state=random_state,
                         neighbours=neighbours, neighbour_max_df=neighbour_max_df)
        self.long_chars = long_chars
        self.long_linear = long_linear

    # -- pieces shared with the fast path -----------------------------------------------------------------
    def split(self, X: Any) -> tuple[sparse.csr_matrix, np.ndarray]:
        """The text columns (sparse) and the metadata columns (dense, NaN where unknown) of ``X``."""
        X = sparse.csr_matrix(X)
        width = X.shape[1] - self.n_meta
        return X[:, :width], X[:, width:].toarray()

    @staticmethod
    def head_input(key: str, decision: np.ndarray, near: np.ndarray, meta: np.ndarray) -> np.ndarray:
        """The columns the head ``key`` (a case, or "<case>:article") reads: text score, similarity, then its
        metadata columns (``head_columns``)."""
        return np.column_stack([np.asarray(decision, dtype=np.float64)[:, None], near,
                                meta[:, list(head_columns(key))]])

    def cases(self, meta: np.ndarray) -> np.ndarray:
        """The index into INPUT_CASES of each row."""
        return case_codes(meta)

    def articles(self, meta: np.ndarray) -> np.ndarray:
        """Which rows take the article route: texts of at least ``long_chars`` characters (none when 0 or for
        models fitted before the route existed)."""
        limit = getattr(self, "long_chars", 0)
        meta = np.asarray(meta, dtype=np.float64)
        if not limit or not hasattr(self, "long_linear_"):
            return np.zeros(meta.shape[0], dtype=bool)
        return meta[:, _TEXT_LENGTH] >= np.log1p(limit) - 1e-9

    def decisions(self, text: Any, article: np.ndarray) -> np.ndarray:
        """The text model's decision value of each row: ``long_linear_``'s on article rows, ``linear_``'s else."""
        decision = np.asarray(self.linear_.decision_function(text), dtype=np.float64)
        if article.any():
            decision[article] = self.long_linear_.decision_function(text[np.flatnonzero(article)])
        return decision

    # -- sklearn API --------------------------------------------------------------------------------------
    def fit(self, X: Any, y: Any, refs: Sequence[str | None] | None = None) -> CaseStack:
        if self.neighbours < 1:
            raise ValueError("CaseStack needs neighbours >= 1 (its heads read the similarity columns)")
        y = np.asarray(y)
        self.classes_ = np.unique(y)
        text, meta = self.split(X)
        text = sparse.csr_matrix(text, dtype=np.float32)
        base = self.linear if self.linear is not None else LogisticRegression(solver="liblinear")
        folds = StratifiedKFold(n_splits=self.cv, shuffle=True, random_state=self.random_state)
        oof = cross_val_predict(clone(base), text, y, cv=folds, method="decision_function")
        self.linear_ = clone(base).fit(text, y)
        long_oof = None
        if self.long_chars:
            long_base = self.long_linear if self.long_linear is not None else base
            long_oof = cross_val_predict(clone(long_base), text, y, cv=folds, method="decision_function")
            self.long_linear_ = clone(long_base).fit(text, y)
        near = np.zeros((len(y), N_SIMILARITY))
        for train_idx, test_idx in folds.split(np.zeros(len(y)), y):
            reference = _reference(text[train_idx], y[train_idx], self.neighbour_max_df)
            near[test_idx] = _similarity_columns(text[test_idx], reference, self.neighbours)
        self.unreliable_posts_, self.reliable_posts_ = _reference(text, y, self.neighbour_max_df)
        labels = ["" if r is None else str(r).replace("\n", " ") for r in (refs if refs is not None else [""] * len(y))]
        self.unreliable_refs_ = "\n".join(r for r, label in zip(labels, y, strict=True) if label == 1)
        params = {
            "learning_rate": 0.05,
            "max_iter": 300,
            "max_leaf_nodes": 7,
            "min_samples_leaf": 30,
            "l2_regularization": 1.0,
            "random_state": self.random_state,
            **(self.boost_params or {}),
        }
        codes = self.cases(meta)
        self.heads_: dict[str, CompactBoost] = {}
        self.references_: dict[str, np.ndarray] = {}
        for code, case in enumerate(INPUT_CASES):
            rows = codes >= code  # a row with more inputs also teaches the heads for fewer (those left out)
            if len(np.unique(y[rows])) < 2:
                continue  # no such posts in the data: the case falls back to one with fewer inputs
            for key, decision in ((case, oof), (head_key(case, True), long_oof)):
                if decision is None:
                    continue
                Z = self.head_input(key, decision[rows], near[rows], meta[rows])
                self.heads_[key] = CompactBoost(**params).fit(Z, y[rows])
                self.references_[key] = np.median(Z, axis=0)
        return self

    def head_for(self, code: int) -> str:
        """The case whose head scores rows of case index ``code`` (the nearest fitted one with fewer inputs)."""
        for case in reversed(INPUT_CASES[: code + 1]):
            if case in self.heads_:
                return case
        raise ValueError("no head was fitted")

    def keys(self, codes: np.ndarray, article: np.ndarray) -> np.ndarray:
        """The head key that scores each row (its case's nearest fitted head, on the article route or not)."""
        out = np.empty(len(codes), dtype=object)
        for code in np.unique(codes):
            for routed in (False, True):
                out[(codes == code) & (article == routed)] = head_key(self.head_for(int(code)), routed)
        return out

    def predict_proba(self, X: Any) -> np.ndarray:
        text, meta = self.split(X)
        article = self.articles(meta)
        decision = self.decisions(text, article)
        near = self.neighbour_columns(text)
        keys = self.keys(self.cases(meta), article)
        out = np.zeros((X.shape[0], 2))
        for key in np.unique(keys):
            rows = keys == key
            out[rows] = self.heads_[key].predict_proba(self.head_input(key, decision[rows], near[rows], meta[rows]))
        return out

    def predict(self, X: Any) -> np.ndarray:
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    def refs(self) -> list[str]:
        """Where each stored unreliable post came from, in column order of ``unreliable_posts_`` ("" unknown)."""
        n = self.unreliable_posts_.shape[1]
        return self.unreliable_refs_.split("\n") if n else []
