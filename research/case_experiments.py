"""Third round: posts as kiemtin's own sources deliver them, text only (models/README.md, round 3).

    python -m research.case_experiments [--data public_train.csv] [--unlabelled DIR] [--news FILE.csv]
                                        [--only NAME ...] [--idf-text NEWS.txt]

Same protocol as the other rounds (duplicates removed, 5-fold StratifiedGroupKFold by account, seed 13). Every
experiment scores the held-out posts *without counts or time*, as an RSS feed delivers them, and is compared
fold by fold with the first row: the model before the case heads (one boosting stage trained with counts and
time, which a text-only post gets imputed with the training medians). Besides ROC-AUC and AP each row gives
the precision at the threshold chosen out of fold by the recall rule (recall >= 0.80), the share of the
3,288 unlabelled ReINTEL posts that threshold flags when the model is trained on all labelled posts, and, with
``--news``, ROC-AUC on a labelled news CSV (``text`` and ``label`` columns, e.g. VFND) never trained on.

Round 5 rows also compare with round 4's best candidate (``CANDIDATE``, always run) and can read unlabelled
news-like text (``--idf-text``, one document a line; e.g. DANeS titles and descriptions) for a domain IDF,
self-training, or as reliable examples (never VFND).
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold, train_test_split

from classifier.cv import dedupe_examples, groups_of
from classifier.data import read_labelled_csv
from classifier.features import COUNT_COLUMNS, SURFACE_COLUMNS, TIME_COLUMNS, MetadataFeatures
from classifier.metrics import binary_metrics, choose_threshold
from classifier.records import PostInput
from classifier.tokens import token_string

__all__ = ["main"]

_SENTENCE = re.compile(r"(?<=[.!?…])\s+|\n+")
_BOOST = {"max_iter": 300, "learning_rate": 0.05, "max_leaf_nodes": 7, "min_samples_leaf": 30,
          "l2_regularization": 1.0, "random_state": 13}
_SURFACE = [c - SURFACE_COLUMNS[0] for c in SURFACE_COLUMNS]
_NO_LENGTH = [i for i in _SURFACE if i not in (0, 1)]  # surface cues without text length and line count
#: A "long" text (article-like), decided from ReINTEL alone: >= 1,000 characters, the longest ~20 % of its
#: labelled posts, past the point where the unreliable share stops rising with length (12.5 % under 200
#: characters, 19-22 % from 500 on).
LONG_CHARS = 1000
#: The lead of a text: its first sentences up to this many characters (ReINTEL's 75th percentile post length).
LEAD_CHARS = 700


def lead(text: str, limit: int = LEAD_CHARS) -> str:
    """The title and first sentences of ``text``: whole sentences (or lines) while they fit in ``limit``
    characters, at least one; a text within the limit is its own lead."""
    if len(text) <= limit:
        return text
    out: list[str] = []
    size = 0
    for part in _SENTENCE.split(text):
        if not part.strip():
            continue
        if out and size + len(part) > limit:
            break
        out.append(part)
        size += len(part) + 1
    return "\n".join(out)[: 4 * limit]


def news_halves(y: np.ndarray, seed: int = 13) -> tuple[np.ndarray, np.ndarray]:
    """The dev and test halves of a labelled news file (fixed seed, stratified): variants are chosen on ReINTEL
    CV and the dev half only; the test half is reported, never chosen on."""
    if not y.size:
        return np.zeros(0, int), np.zeros(0, int)
    dev, test = train_test_split(np.arange(y.size), test_size=0.5, stratify=y, random_state=seed)
    return np.sort(dev), np.sort(test)


class Study:
    """Labelled posts (with their metadata), unlabelled and news posts (text only), folds, cached columns."""

    def __init__(self, data: Path, unlabelled: Sequence[str], news: Sequence[tuple[str, int]], seed: int = 13):
        examples = dedupe_examples(read_labelled_csv(data))
        self.n = len(examples)
        self.y = np.asarray([e.label for e in examples])
        self.n_unlabelled = len(unlabelled)
        self.news_y = np.asarray([label for _, label in news])
        texts = [e.text for e in examples] + list(unlabelled) + [t for t, _ in news]
        self.docs = [token_string(t) for t in texts]
        self.lead_docs = [token_string(lead(t)) for t in texts]
        self.long = np.asarray([len(t) >= LONG_CHARS for t in texts])
        self.sentences = [[token_string(p) for p in _SENTENCE.split(t) if p and token_string(p)] or [token_string(t)]
                          for t in texts]
        extract = MetadataFeatures().fit([])
        self.meta = extract.transform(list(examples) + [PostInput(text=t) for t in texts[self.n:]])
        surface = self.meta[:, list(SURFACE_COLUMNS)]
        length = np.maximum(np.asarray([len(t) for t in texts], dtype=np.float64), 1.0)[:, None]
        counts = np.expm1(surface[:, 2:7])  # '!', '?', links, hashtags, emoji
        lines = np.expm1(surface[:, 1:2])
        self.rates = np.column_stack([counts / length * 1000, surface[:, 7:9], lines / length * 1000])
        self.seed = seed
        # VFND dev / test halves: fixed seed, stratified. Variants are chosen on ReINTEL CV and the dev half only.
        self.news_dev, self.news_test = news_halves(self.news_y, seed)
        splitter = StratifiedGroupKFold(n_splits=5, shuffle=True, random_state=seed)
        self.folds = list(splitter.split(np.zeros(self.n), self.y, groups_of(examples)))
        self._cache: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}
        self.extra_idf_docs: list[str] = []  # unlabelled news-like text for the IDF of ``lr-idf`` (round 5)
        self._fold: tuple[np.ndarray, np.ndarray] = (np.zeros(0, int), np.zeros(0, int))

    def _lr(self, C: float) -> LogisticRegression:
        return LogisticRegression(C=C, class_weight="balanced", solver="liblinear", max_iter=1000,
                                  random_state=self.seed)

    def base(self, tr: np.ndarray, te: np.ndarray, C: float = 4.0) -> tuple[np.ndarray, np.ndarray]:
        """Out-of-fold (inner 5-fold) columns for the training rows and columns for ``te``: words LR decision,
        similarity to labelled posts (best and mean of the top 5 unreliable, then reliable), and the max, mean
        and top-2 mean of the LR decision over the post's sentences; then the LR decision and similarity of the
        post's lead (title and first sentences, ``lead``)."""
        key = (tr.tobytes(), te.tobytes(), C)
        if key not in self._cache:
            self._cache[key] = self._base(tr, te, C)
        return self._cache[key]

    def _base(self, tr: np.ndarray, te: np.ndarray, C: float) -> tuple[np.ndarray, np.ndarray]:
        vec = TfidfVectorizer(token_pattern=r"\S+", lowercase=False, ngram_range=(1, 3), min_df=2,  # noqa: S106
                              max_features=200_000, sublinear_tf=True, dtype=np.float32)
        Xtr = vec.fit_transform([self.docs[i] for i in tr])
        Xte = vec.transform([self.docs[i] for i in te])
        ytr = self.y[tr]
        sim = (Xtr @ Xtr.T).toarray()
        Ltr = vec.transform([self.lead_docs[i] for i in tr])
        Lte = vec.transform([self.lead_docs[i] for i in te])
        left = np.zeros((len(tr), 13))
        for a, b in StratifiedKFold(5, shuffle=True, random_state=self.seed).split(np.zeros(len(tr)), ytr):
            model = self._lr(C).fit(Xtr[a], ytr[a])
            left[b, 0] = model.decision_function(Xtr[b])
            left[b, 1:5] = _similarity(sim[np.ix_(b, a)], ytr[a])
            left[b, 5:8] = self._pooled(model, vec, tr[b])
            left[b, 8] = model.decision_function(Ltr[b])
            left[b, 9:13] = _similarity((Ltr[b] @ Xtr[a].T).toarray(), ytr[a])
        model = self._lr(C).fit(Xtr, ytr)
        right = np.column_stack([model.decision_function(Xte), _similarity((Xte @ Xtr.T).toarray(), ytr),
                                 self._pooled(model, vec, te), model.decision_function(Lte),
                                 _similarity((Lte @ Xtr.T).toarray(), ytr)])
        return left, right

    def linear(self, tr: np.ndarray, te: np.ndarray, C: float, kind: str) -> tuple[np.ndarray, np.ndarray]:
        """Round 5: only the LR decision column (out of fold for ``tr``, as in ``base``) of a TF-IDF variant:
        ``binary`` (binary tf, no sublinear), ``idf`` (IDF fitted on the training posts plus ``extra_idf_docs``,
        no labels) or ``binary-idf`` (both)."""
        key = (tr.tobytes(), te.tobytes(), C, kind)
        if key not in self._cache:
            binary = kind.startswith("binary")
            vec = TfidfVectorizer(token_pattern=r"\S+", lowercase=False, ngram_range=(1, 3),  # noqa: S106
                                  min_df=2, max_features=200_000, sublinear_tf=not binary, binary=binary,
                                  dtype=np.float32)
            train_docs = [self.docs[i] for i in tr]
            extra = kind.endswith("idf") or kind in ("self", "news-reliable")  # news text in the IDF too
            vec.fit(train_docs + (self.extra_idf_docs if extra else []))
            Xtr, Xte, ytr = vec.transform(train_docs), vec.transform([self.docs[i] for i in te]), self.y[tr]
            Xnews = vec.transform(self.extra_idf_docs) if kind in ("self", "news-reliable") else None
            left = np.zeros((len(tr), 1))
            for a, b in StratifiedKFold(5, shuffle=True, random_state=self.seed).split(np.zeros(len(tr)), ytr):
                left[b, 0] = self._fit_linear(Xtr[a], ytr[a], C, kind, Xnews).decision_function(Xtr[b])
            right = self._fit_linear(Xtr, ytr, C, kind, Xnews).decision_function(Xte)[:, None]
            self._cache[key] = (left, right)
        return self._cache[key]

    def neighbours(self, tr: np.ndarray, te: np.ndarray, spec: str) -> tuple[np.ndarray, np.ndarray]:
        """Round 5: similarity columns (out of fold for ``tr``) of a variant: ``spec`` "10" / "20" (best and mean
        of that many closest unreliable, then reliable posts), "binary" (5 closest, binary-tf TF-IDF rows) or
        "vote20" (the unreliable share of the 20 closest posts, plain and similarity-weighted)."""
        key = (tr.tobytes(), te.tobytes(), "knn", spec)
        if key not in self._cache:
            binary, vote = spec == "binary", spec.startswith("vote")
            k = 5 if binary else int(spec.removeprefix("vote"))
            measure = _vote if vote else _similarity
            vec = TfidfVectorizer(token_pattern=r"\S+", lowercase=False, ngram_range=(1, 3),  # noqa: S106
                                  min_df=2, max_features=200_000, sublinear_tf=not binary, binary=binary,
                                  dtype=np.float32)
            Xtr = vec.fit_transform([self.docs[i] for i in tr])
            Xte, ytr = vec.transform([self.docs[i] for i in te]), self.y[tr]
            sim = (Xtr @ Xtr.T).toarray()
            left = np.zeros((len(tr), 2 if vote else 4))
            for a, b in StratifiedKFold(5, shuffle=True, random_state=self.seed).split(np.zeros(len(tr)), ytr):
                left[b] = measure(sim[np.ix_(b, a)], ytr[a], k)
            self._cache[key] = (left, measure((Xte @ Xtr.T).toarray(), ytr, k))
        return self._cache[key]

    def _fit_linear(self, X: Any, y: np.ndarray, C: float, kind: str, news: Any) -> LogisticRegression:
        """The LR of ``linear``: on ``X`` alone, or (``self``) refitted with pseudo-labelled news texts (its first
        fit's top 10 % unreliable, bottom 50 % reliable), or (``news-reliable``) with every news text reliable."""
        model = self._lr(C).fit(X, y)
        if kind == "news-reliable":
            return self._lr(C).fit(sparse.vstack([X, news]), np.concatenate([y, np.zeros(news.shape[0], int)]))
        if kind.startswith("self"):  # the strongly regularised LR gives news texts p 0.17-0.64: ranks, not p
            d = model.decision_function(news)
            high, low = np.quantile(d, [0.9, 0.5])
            keep = (d >= high) | (d <= low)
            return self._lr(C).fit(sparse.vstack([X, news[keep]]), np.concatenate([y, (d[keep] >= high).astype(int)]))
        return model

    def _pooled(self, model: LogisticRegression, vec: TfidfVectorizer, rows: np.ndarray) -> np.ndarray:
        flat = [s for i in rows for s in self.sentences[i]]
        owner = np.repeat(np.arange(len(rows)), [len(self.sentences[i]) for i in rows])
        decision = model.decision_function(vec.transform(flat))
        out = np.zeros((len(rows), 3))
        for k in range(len(rows)):
            d = np.sort(decision[owner == k])[::-1]
            out[k] = [d[0], d.mean(), d[:2].mean()]
        return out

    def columns(self, variant: str, base: np.ndarray, rows: np.ndarray, *, test: bool) -> np.ndarray:
        """The boosting input of ``variant`` for ``rows``; at test time counts and time are unknown."""
        if variant == "imputed":  # the model before the case heads: every metadata column, unknown ones imputed
            meta = self.meta[rows].copy()
            if test:
                meta[:, list(COUNT_COLUMNS + TIME_COLUMNS)] = np.nan
            return np.column_stack([base[:, :5], meta])
        long = self.long[rows][:, None]
        parts = {"lr": base[:, :1], "knn": base[:, 1:5], "sentences": base[:, 5:8],
                 "lead-lr": base[:, 8:9], "lead-knn": base[:, 9:13],
                 "mix-lr": (base[:, :1] + base[:, 8:9]) / 2,
                 "long-lead-lr": np.where(long, base[:, 8:9], base[:, :1]),
                 "long-lead-knn": np.where(long, base[:, 9:13], base[:, 1:5]),
                 "surface": self.meta[rows][:, list(SURFACE_COLUMNS)],
                 "surface-no-length": self.meta[rows][:, list(SURFACE_COLUMNS)][:, _NO_LENGTH],
                 "rates": self.rates[rows]}
        out = []
        for part in variant.split("+"):
            name, _, C = part.partition("~")  # "lr~0.1": that column from the base with LR C=0.1
            if name.startswith(("lr-", "knn-")):  # "lr-binary~0.25", "knn-10": a round-5 variant's columns
                tr, te = self._fold
                left, right = (self.linear(tr, te, float(C), name.removeprefix("lr-")) if name.startswith("lr-")
                               else self.neighbours(tr, te, name.removeprefix("knn-")))
                out.append(right if test else left[np.searchsorted(tr, rows)])
            elif C:
                tr, te = self._fold
                other = self.base(tr, te, float(C))[1 if test else 0]
                out.append(self.columns(name, other if test else other[np.searchsorted(tr, rows)], rows, test=test))
            else:
                out.append(parts[name])
        return np.column_stack(out)

    def run(self, variant: str, C: float = 4.0) -> dict:
        aucs, aps = [], []
        oof = np.zeros(self.n)
        for tr, te in self.folds:
            self._fold = (tr, te)
            left, right = self.base(tr, te, C)
            prob = self._fit_predict(variant, left, tr, right, te)
            oof[te] = prob
            aucs.append(roc_auc_score(self.y[te], prob))
            aps.append(average_precision_score(self.y[te], prob))
        threshold = choose_threshold(self.y, oof)
        out = {"roc_auc": aucs, "average_precision": aps, "threshold": threshold,
               "precision": binary_metrics(self.y, oof, threshold)["precision"]}
        tr, te = np.arange(self.n), np.arange(self.n, len(self.docs))
        self._fold = (tr, te)
        left, right = self.base(tr, te, C)
        prob = self._fit_predict(variant, left, tr, right, te)
        out["unlabelled_flagged"] = float(np.mean(prob[: self.n_unlabelled] >= threshold))
        if self.news_y.size:
            news = prob[self.n_unlabelled:]
            out["news_roc_auc"] = float(roc_auc_score(self.news_y, news))
            for half in ("dev", "test"):
                idx = getattr(self, f"news_{half}")
                out[f"news_{half}_roc_auc"] = float(roc_auc_score(self.news_y[idx], news[idx]))
            out["news_flagged"] = float(np.mean(news >= threshold))
        return out

    def _fit_predict(self, variant: str, left: np.ndarray, tr: np.ndarray, right: np.ndarray,
                     te: np.ndarray) -> np.ndarray:
        """``route:A|B``: long texts scored by a head of variant B, the others by A (``B@long``: B's head learns
        from the long training posts only); ``avg:A|B``: the mean of both heads' probabilities."""
        if variant.startswith("mix:"):  # "mix:V1&V2": the mean of two variants' probabilities (round 5)
            return np.mean([self._fit_predict(v, left, tr, right, te) for v in variant[4:].split("&")], axis=0)
        if variant.startswith(("route:", "avg:")):
            kind, pair = variant.split(":", 1)
            first, second = pair.split("|")
            p_first = self._fit_predict(first, left, tr, right, te)
            only_long = second.endswith("@long")
            second = second.removesuffix("@long")
            keep = self.long[tr] if only_long else np.ones(len(tr), bool)
            p_second = self._fit_predict(second, left[keep], tr[keep], right, te)
            if kind == "avg":
                return (p_first + p_second) / 2
            return np.where(self.long[te], p_second, p_first)
        X, Xte = self.columns(variant, left, tr, test=False), self.columns(variant, right, te, test=True)
        if variant == "imputed":  # unknown values get the training medians, as that model did
            imputer = SimpleImputer(strategy="median", keep_empty_features=True).fit(X[:, 5:])
            X = np.column_stack([X[:, :5], imputer.transform(X[:, 5:])])
            Xte = np.column_stack([Xte[:, :5], imputer.transform(Xte[:, 5:])])
        model = HistGradientBoostingClassifier(**_BOOST).fit(X, self.y[tr])
        return model.predict_proba(Xte)[:, 1]


def _vote(sim: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    top = np.argsort(-sim, axis=1)[:, :k]
    weights = np.take_along_axis(sim, top, axis=1)
    votes = labels[top]
    return np.column_stack([votes.mean(axis=1), (votes * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)])


def _similarity(sim: np.ndarray, labels: np.ndarray, k: int = 5) -> np.ndarray:
    out = []
    for label in (1, 0):
        top = -np.sort(-sim[:, labels == label], axis=1)[:, :k]
        out += [top[:, 0], top.mean(axis=1)]
    return np.column_stack(out)


EXPERIMENTS: dict[str, tuple[str, float]] = {
    "one boosting stage, counts and time imputed (before the case heads)": ("imputed", 4.0),
    "text head: words LR + similarity + surface cues (adopted)": ("lr+knn+surface", 4.0),
    "text head, LR only": ("lr", 4.0),
    "text head, LR + surface cues (no similarity)": ("lr+surface", 4.0),
    "text head without surface cues": ("lr+knn", 4.0),
    "text head, surface cues without length and line count": ("lr+knn+surface-no-length", 4.0),
    "text head, length-normalised cues (per 1,000 characters)": ("lr+knn+rates", 4.0),
    "text head + sentence scores (max, mean, top-2 mean)": ("lr+knn+surface+sentences", 4.0),
    "text head, LR C=1": ("lr+knn+surface", 1.0),
    "text head, LR C=1, no length and line count": ("lr+knn+surface-no-length", 1.0),
    # round 4: long texts (>= LONG_CHARS), articles
    "long route: long texts -> head without length and line count": (
        "route:lr+knn+surface|lr+knn+surface-no-length", 4.0),
    "long route: long texts -> head without surface cues": ("route:lr+knn+surface|lr+knn", 4.0),
    "long route: long texts -> head without length cues, trained on long posts only": (
        "route:lr+knn+surface|lr+knn+surface-no-length@long", 4.0),
    "long route: long texts -> head with length-normalised cues": ("route:lr+knn+surface|lr+knn+rates", 4.0),
    "long texts scored on their lead (title + first sentences; head trained alike)": (
        "long-lead-lr+long-lead-knn+surface", 4.0),
    "long route: long texts -> lead columns, no length cues": (
        "route:lr+knn+surface|long-lead-lr+long-lead-knn+surface-no-length", 4.0),
    "long route: long texts -> mean of full and lead LR, no length cues": (
        "route:lr+knn+surface|mix-lr+knn+surface-no-length", 4.0),
    "long route: long texts -> full and lead columns, no length cues": (
        "route:lr+knn+surface|lr+knn+lead-lr+lead-knn+surface-no-length", 4.0),
    "long route, LR C=1: long texts -> head without length and line count": (
        "route:lr+knn+surface|lr+knn+surface-no-length", 1.0),
    "long route: long texts -> head on an LR with C=0.1, no length cues": (
        "route:lr+knn+surface|lr~0.1+knn+surface-no-length", 4.0),
    "long route: long texts -> head on an LR with C=0.1, no surface cues": ("route:lr+knn+surface|lr~0.1+knn", 4.0),
    "long route: long texts -> head on an LR with C=0.25, no length cues": (
        "route:lr+knn+surface|lr~0.25+knn+surface-no-length", 4.0),
    "long route: long texts -> head on LRs with C=4 and C=0.1, no length cues": (
        "route:lr+knn+surface|lr+lr~0.1+knn+surface-no-length", 4.0),
    "text head on an LR with C=0.1 (every post)": ("lr~0.1+knn+surface", 4.0),
    # round 5: the article route's text model
    "long route: article head on a binary-tf LR with C=0.25, no length cues": (
        "route:lr+knn+surface|lr-binary~0.25+knn+surface-no-length", 4.0),
    "long route: article head on a binary-tf LR with C=0.1, no length cues": (
        "route:lr+knn+surface|lr-binary~0.1+knn+surface-no-length", 4.0),
    "long route: article head on LRs with C=0.25 and binary tf C=0.1, no length cues": (
        "route:lr+knn+surface|lr~0.25+lr-binary~0.1+knn+surface-no-length", 4.0),
    "long route: article head on an LR with C=0.25, no similarity, no length cues": (
        "route:lr+knn+surface|lr~0.25+surface-no-length", 4.0),
    "long route: article head on an LR with C=0.25, no surface cues": ("route:lr+knn+surface|lr~0.25+knn", 4.0),
    "long route: article head on LRs with C=0.25 and C=0.1, no length cues": (
        "route:lr+knn+surface|lr~0.25+lr~0.1+knn+surface-no-length", 4.0),
    "long route: article head on an LR with C=0.25 self-trained on news text (top 10 % / bottom 50 %)": (
        "route:lr+knn+surface|lr-self~0.25+knn+surface-no-length", 4.0),
    "long route: article head on an LR with C=0.25, news text added as reliable, no length cues": (
        "route:lr+knn+surface|lr-news-reliable~0.25+knn+surface-no-length", 4.0),
    "long route: article head on an LR with C=0.25, similarity to the 10 closest, no length cues": (
        "route:lr+knn+surface|lr~0.25+knn-10+surface-no-length", 4.0),
    "long route: article head on an LR with C=0.25, similarity to the 20 closest, no length cues": (
        "route:lr+knn+surface|lr~0.25+knn-20+surface-no-length", 4.0),
    "long route: article head on an LR with C=0.25, similarity to the 5 and 20 closest, no length cues": (
        "route:lr+knn+surface|lr~0.25+knn+knn-20+surface-no-length", 4.0),
    "long route: article head on an LR with C=0.25, similarity to the 5 and 50 closest, no length cues": (
        "route:lr+knn+surface|lr~0.25+knn+knn-50+surface-no-length", 4.0),
    "long route: article head on an LR with C=0.25, similarity to the 5, 20 and 50 closest, no length cues": (
        "route:lr+knn+surface|lr~0.25+knn+knn-20+knn-50+surface-no-length", 4.0),
    "long route: both heads read similarity to the 5 and 20 closest (article head: LR C=0.25, no length cues)": (
        "route:lr+knn+knn-20+surface|lr~0.25+knn+knn-20+surface-no-length", 4.0),
    "long route: article head on an LR with C=0.25, similarity to 5 and 20 closest + unreliable share of 20 closest": (
        "route:lr+knn+surface|lr~0.25+knn+knn-20+knn-vote20+surface-no-length", 4.0),
    "long route: article head on an LR with C=0.25, similarity to 5 closest + unreliable share of 50 closest": (
        "route:lr+knn+surface|lr~0.25+knn+knn-vote50+surface-no-length", 4.0),
    "long route: article head on an LR with C=0.1, similarity to the 5 and 20 closest, no length cues": (
        "route:lr+knn+surface|lr~0.1+knn+knn-20+surface-no-length", 4.0),
    "long route: article head on an LR with C=0.25, binary-tf similarity, no length cues": (
        "route:lr+knn+surface|lr~0.25+knn-binary+surface-no-length", 4.0),
    "mean of the round-4 candidate and a text head on an LR with C=0.1": (
        "mix:route:lr+knn+surface|lr~0.25+knn+surface-no-length&lr~0.1+knn+surface", 4.0),
    "mean of the round-4 candidate and its binary-tf twin (C=0.25)": (
        "mix:route:lr+knn+surface|lr~0.25+knn+surface-no-length"
        "&route:lr+knn+surface|lr-binary~0.25+knn+surface-no-length", 4.0),
    "long route: article head on an LR with C=0.25, IDF with news text, no length cues": (
        "route:lr+knn+surface|lr-idf~0.25+knn+surface-no-length", 4.0),
    "long route: article head on a binary-tf LR with C=0.1, IDF with news text, no length cues": (
        "route:lr+knn+surface|lr-binary-idf~0.1+knn+surface-no-length", 4.0),
}


#: The production text head before round 4; every row is also compared with it, fold by fold.
ADOPTED = "text head: words LR + similarity + surface cues (adopted)"
#: Round 4's best candidate (the article route with C=0.25); round 5's rows are also compared with it.
CANDIDATE = "long route: long texts -> head on an LR with C=0.25, no length cues"


def _texts(folder: Path) -> list[str]:
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    texts: list[str] = []
    for name in ("public_test.csv", "private_test.csv"):
        with (folder / name).open(encoding="utf-8", newline="") as handle:
            texts += [(row.get("post_message") or "").strip() for row in csv.DictReader(handle)]
    return [t for t in texts if t]


def _news(path: Path | None) -> list[tuple[str, int]]:
    if path is None:
        return []
    with path.open(encoding="utf-8", newline="") as handle:
        return [(row["text"], int(row["label"])) for row in csv.DictReader(handle)]


def _paired(out: dict[str, Any], other: dict[str, Any] | None) -> str:
    """Mean paired ROC-AUC / AP delta of ``out`` against ``other`` with the folds it wins ("—" against itself)."""
    if other is None or other is out:
        return "—"
    auc = np.subtract(out["roc_auc"], other["roc_auc"])
    ap = np.subtract(out["average_precision"], other["average_precision"])
    return f"{auc.mean():+.3f} ({int((auc > 0).sum())}/5) / {ap.mean():+.3f} ({int((ap > 0).sum())}/5)"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=Path("data/reintel/public_train.csv"))
    parser.add_argument("--unlabelled", type=Path, default=Path("data/reintel"))
    parser.add_argument("--news", type=Path, default=None, help="labelled news CSV (text, label) to test on")
    parser.add_argument("--only", nargs="*", default=None, help="experiment names (the reference always runs)")
    parser.add_argument("--idf-text", type=Path, default=None,
                        help="unlabelled news-like text, one document a line, added to the IDF of the lr-idf rows")
    args = parser.parse_args(argv)
    study = Study(args.data, _texts(args.unlabelled), _news(args.news))
    if args.idf_text is not None:
        lines = args.idf_text.read_text(encoding="utf-8").splitlines()
        study.extra_idf_docs = [token_string(t.replace("\\n", "\n")) for t in lines if t.strip()]
    print("| experiment | ROC-AUC | AP | Δ AUC (folds better) | Δ AP (folds better) | precision at threshold "
          "| unlabelled flagged | news ROC-AUC dev / test / all | news flagged | Δ AUC / Δ AP vs adopted "
          "(folds better) | Δ AUC / Δ AP vs round-4 candidate (folds better) | time |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    reference: dict | None = None
    adopted: dict | None = None
    candidate: dict | None = None
    run: Callable[[str, float], dict] = study.run
    # the adopted text head always runs; round 4's candidate too when another row is asked for beside it
    always = {ADOPTED} | ({CANDIDATE} if args.only and set(args.only) - {ADOPTED} else set())
    for name, (variant, C) in EXPERIMENTS.items():
        if args.only and name not in args.only and name not in always and reference is not None:
            continue
        started = time.perf_counter()
        out = run(variant, C)
        reference = reference or out
        adopted = out if name == ADOPTED else adopted
        candidate = out if name == CANDIDATE else candidate
        d_auc = np.subtract(out["roc_auc"], reference["roc_auc"])
        d_ap = np.subtract(out["average_precision"], reference["average_precision"])
        vs, vs_candidate = _paired(out, adopted), _paired(out, candidate)
        news = (f"{out['news_dev_roc_auc']:.3f} / {out['news_test_roc_auc']:.3f} / {out['news_roc_auc']:.3f}"
                if "news_roc_auc" in out else "—")
        news_flagged = f"{out['news_flagged']:.1%}" if "news_flagged" in out else "—"
        print(f"| {name} | {np.mean(out['roc_auc']):.3f} ± {np.std(out['roc_auc']):.3f} "
              f"| {np.mean(out['average_precision']):.3f} ± {np.std(out['average_precision']):.3f} "
              f"| {d_auc.mean():+.3f} ({int((d_auc > 0).sum())}/5) | {d_ap.mean():+.3f} ({int((d_ap > 0).sum())}/5) "
              f"| {out['precision']:.3f} | {out['unlabelled_flagged']:.1%} | {news} | {news_flagged} | {vs} "
              f"| {vs_candidate} | {time.perf_counter() - started:.0f} s |", flush=True)


if __name__ == "__main__":
    main()
