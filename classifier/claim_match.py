"""Matching posts to known claims: which claim a text repeats, and how closely (a pure library: no database).

A ``ClaimIndex`` is built once over the claims' texts and scores batches of posts against all of them with
one sparse matrix product per batch. Texts are read as their case-folded, unaccented syllables
(``vntext.folded_words``) and syllable pairs, so a copy typed without diacritics matches its original. The
methods (``METHODS``) were measured on the set in tests/fixtures/claims (``bench/claims_eval.py``, README):

* ``syllable_tfidf`` TF-IDF cosine over the accented syllables and pairs;
* ``folded_tfidf`` the same over unaccented syllables;
* ``folded_bm25`` how much of the claim the post holds: BM25 weights of the claim's terms found in the post
  over those of all its terms (0..1; a long post that contains the claim scores high);
* ``char_ngrams`` TF-IDF cosine over character 3-5-grams of the unaccented text;
* ``blend`` the mean of ``folded_tfidf`` and ``folded_bm25``.

``folded_tfidf`` is the default: best recall@1 with ``blend`` and ``folded_bm25``, the most recall at
thresholds where no unrelated post scores, and the fastest of the three.

Features are hashed (2**20 buckets), so words no claim has still count in a post's length; the terms in more
than ``common_share`` of the claims (the, and, is ...) are left out of the product only, keeping it sparse.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import HashingVectorizer

from vntext import dedupe_words, folded_words

__all__ = ["DEFAULT_METHOD", "METHODS", "ClaimIndex", "Match", "word_count"]

METHODS = ("syllable_tfidf", "folded_tfidf", "folded_bm25", "char_ngrams", "blend")
DEFAULT_METHOD = "folded_tfidf"
_FEATURES = 2**20
_K1, _B = 1.2, 0.75


def _with_pairs(words: list[str]) -> list[str]:
    return words + [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]


def _folded_terms(text: str) -> list[str]:
    return _with_pairs(folded_words(text))


def _accented_terms(text: str) -> list[str]:
    return _with_pairs(dedupe_words(text))


def _char_text(text: str) -> str:
    return " ".join(folded_words(text))


def word_count(text: str) -> int:
    """How many syllables (words) a text has: very short texts are only ever suggested, never auto-matched."""
    return len(folded_words(text))


@dataclass(frozen=True)
class Match:
    """One post's match: the claim's position in the index's list and the score (0..1)."""

    claim: int
    score: float


def _vectorizer(method: str) -> HashingVectorizer:
    if method == "char_ngrams":
        return HashingVectorizer(analyzer="char_wb", ngram_range=(3, 5), preprocessor=_char_text,
                                 n_features=_FEATURES, alternate_sign=False, norm=None)
    analyzer = _accented_terms if method == "syllable_tfidf" else _folded_terms
    return HashingVectorizer(analyzer=analyzer, n_features=_FEATURES, alternate_sign=False, norm=None)


def _l2(matrix: sparse.csr_matrix) -> sparse.csr_matrix:
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sparse.csr_matrix(sparse.diags(1.0 / norms) @ matrix)


def _drop_columns(matrix: sparse.csr_matrix, keep: np.ndarray) -> sparse.csr_matrix:
    out = matrix.tocsc()
    out = out @ sparse.diags(keep.astype(np.float32))
    out = sparse.csr_matrix(out)
    out.eliminate_zeros()
    return out


class ClaimIndex:
    """The claims' vectors, ready to score posts; ``method`` one of ``METHODS``."""

    def __init__(self, claims: Sequence[str], *, method: str = DEFAULT_METHOD, common_share: float = 0.02) -> None:
        if method not in METHODS:
            raise ValueError(f"unknown matching method {method!r}: use one of {', '.join(METHODS)}")
        self.method, self.size = method, len(claims)
        self._vec = _vectorizer("folded_tfidf" if method in ("blend", "folded_bm25") else method)
        self._tfidf: sparse.csr_matrix | None = None
        self._bm25: sparse.csr_matrix | None = None
        if not claims:
            return
        counts = sparse.csr_matrix(self._vec.transform(claims), dtype=np.float32)
        n = len(claims)
        df = np.bincount(counts.indices, minlength=_FEATURES).astype(np.float32)
        self._idf = (np.log((1.0 + n) / (1.0 + df)) + 1.0).astype(np.float32)
        keep = df <= max(3.0, common_share * n)  # the very common terms stay out of the product only
        self._tfidf = _drop_columns(_l2(self._tfidf_of(counts)), keep).T.tocsr() if method != "folded_bm25" \
            else None
        self._bm25 = self._bm25_of(counts, keep) if method in ("folded_bm25", "blend") else None

    def _tfidf_of(self, counts: sparse.csr_matrix) -> sparse.csr_matrix:
        tf = counts.copy()
        tf.data = 1.0 + np.log(tf.data)
        return sparse.csr_matrix(tf @ sparse.diags(self._idf))

    def _bm25_of(self, counts: sparse.csr_matrix, keep: np.ndarray) -> sparse.csr_matrix:
        """Each claim's BM25 term weights divided by their sum (so a post holding every term scores 1)."""
        lengths = np.asarray(counts.sum(axis=1)).ravel()
        avg = float(lengths.mean())  # built only from claims (at least one)
        rows = np.repeat(np.arange(counts.shape[0]), np.diff(counts.indptr))
        tf = counts.data
        weights = self._idf[counts.indices] * tf * (_K1 + 1) / (tf + _K1 * (1 - _B + _B * lengths[rows] / avg))
        matrix = sparse.csr_matrix((weights.astype(np.float32), counts.indices, counts.indptr), shape=counts.shape)
        totals = np.asarray(matrix.sum(axis=1)).ravel()
        totals[totals == 0] = 1.0
        return _drop_columns(sparse.csr_matrix(sparse.diags(1.0 / totals) @ matrix), keep).T.tocsr()

    def _scores(self, posts: Sequence[str]) -> sparse.csr_matrix:
        """A sparse (posts x claims) matrix of the scores above zero."""
        counts = sparse.csr_matrix(self._vec.transform(posts), dtype=np.float32)
        parts = []
        if self._tfidf is not None:
            parts.append(_l2(self._tfidf_of(counts)) @ self._tfidf)
        if self._bm25 is not None:
            present = counts.copy()
            present.data[:] = 1.0
            parts.append(present @ self._bm25)
        result = sparse.csr_matrix(parts[0] if len(parts) == 1 else (parts[0] + parts[1]) / 2.0)
        np.clip(result.data, 0.0, 1.0, out=result.data)
        return result

    def scores(self, posts: Sequence[str]) -> np.ndarray:
        """A dense (posts x claims) float32 array of scores in 0..1."""
        if self.size == 0 or not posts:
            return np.zeros((len(posts), self.size), dtype=np.float32)
        return self._scores(posts).toarray().astype(np.float32)

    def best(self, posts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """For each post, the position of its best claim and that score (0 and 0.0 when no claims)."""
        if self.size == 0 or not posts:
            return np.zeros(len(posts), dtype=np.int64), np.zeros(len(posts), dtype=np.float32)
        s = self.scores(posts)
        best = s.argmax(axis=1)
        return best, s[np.arange(len(posts)), best]

    def top(self, posts: Sequence[str], *, minimum: float, k: int = 3) -> list[list[Match]]:
        """For each post, up to ``k`` claims scoring at least ``minimum`` (above 0), best first."""
        found: list[list[Match]] = [[] for _ in posts]
        if self.size == 0 or not posts:
            return found
        result = self._scores(posts).tocoo()
        keep = result.data >= max(minimum, 1e-9)
        rows, cols, data = result.row[keep], result.col[keep], result.data[keep]
        for at in np.lexsort((-data, rows)):  # by post, best first
            hits = found[rows[at]]
            if len(hits) < k:
                hits.append(Match(int(cols[at]), float(data[at])))
        return found
