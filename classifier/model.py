"""MisinfoModel: a fitted pipeline plus its version and operating threshold, turning posts into verdicts."""

from __future__ import annotations

import math
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import numpy as np
from sklearn.pipeline import Pipeline

from classifier.case_explain import explain_rows
from classifier.case_stack import CaseStack
from classifier.errors import ClassifierDataError
from classifier.explain import LinearView, evidence_for_row, linear_view
from classifier.fast_path import FastScorer
from classifier.features import input_case
from classifier.records import INPUT_CASES, ROUTE_ARTICLE, ROUTE_POST, FeatureEvidence, PostInput, Verdict
from vntext import detect_language

__all__ = ["MAX_TEXT_CHARS", "MisinfoModel"]

#: Longer texts are scored on their first MAX_TEXT_CHARS characters (explanations stay within that prefix).
MAX_TEXT_CHARS = 100_000
#: Batches at least this large are spread over worker processes.
PARALLEL_MIN_BATCH = 400

_WORKER_MODEL: MisinfoModel | None = None


#: How often a worker process checks that the process that started it is still there.
PARENT_CHECK_S = 1.0


def _init_worker(model: MisinfoModel) -> None:
    """Set up a worker process: the model, SIGTERM's default action (a forked worker would otherwise run the
    handler its parent installed, and ignore it), and a thread that ends the worker once its parent is gone (a
    parent killed with SIGKILL leaves its workers waiting on a queue no one writes to, each holding a model)."""
    global _WORKER_MODEL
    _WORKER_MODEL = model
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), name="kiemtin-parent-watch", daemon=True).start()


def _exit_with_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK_S)
    os._exit(1)


def _score_in_worker(posts: list[PostInput], explain: bool | str, explain_min_score: float,
                     threshold: float | None) -> list[Verdict]:
    assert _WORKER_MODEL is not None  # noqa: S101 - set by the pool initializer
    return _WORKER_MODEL._score_serial(posts, explain, explain_min_score, threshold)


class MisinfoModel:
    """Scores posts with a fitted pipeline; ``score`` uses worker processes for large batches."""

    def __init__(self, pipeline: Pipeline, version: str, threshold: float, *, n_jobs: int | None = None,
                 thresholds: dict[str, float] | None = None):
        self.pipeline = pipeline
        self.version = version
        self.threshold = float(threshold)
        #: the operating threshold of each input case (models trained before the case heads have one for all)
        self.thresholds = {case: float((thresholds or {}).get(case, threshold)) for case in INPUT_CASES}
        self.n_jobs = n_jobs if n_jobs is not None else (os.cpu_count() or 1)
        self._view: LinearView | None = None
        self._scorer: FastScorer | None = None
        self._pool: ProcessPoolExecutor | None = None
        self._terms: np.ndarray | None = None

    # -- public API -------------------------------------------------------------------------------------
    def threshold_for(self, case: str) -> float:
        """The operating threshold of an input case (one of INPUT_CASES)."""
        return self.thresholds.get(case, self.threshold)

    def score(self, posts: Sequence[PostInput], *, explain: bool | str = True, explain_min_score: float = 0.0,
              threshold: float | None = None, parallel: bool | None = None) -> list[Verdict]:
        """Verdicts for ``posts`` in order. Large batches run in worker processes (one model copy each).

        Each post is scored by the head of its input case and labelled against that case's threshold, or
        against ``threshold`` when given (the ``threshold`` setting). With ``explain=True``, verdicts scoring at
        least ``explain_min_score`` carry their evidence; with ``explain="flagged"``, those at or above their
        threshold (what a person will review: only they pay for word segmentation); the others carry none.
        ``parallel``: True scores in the worker processes whatever the batch size (for a caller that keeps them
        busy anyway, so its last, smaller batch does not run alone in its own process), False in this process,
        None from ``PARALLEL_MIN_BATCH`` posts on.
        """
        if explain not in (True, False, "flagged"):
            raise ClassifierDataError(f"explain must be True, False or 'flagged', got {explain!r}")
        items = [self._check(p) for p in posts]
        if not items:
            return []
        if self.n_jobs > 1 and (len(items) >= PARALLEL_MIN_BATCH if parallel is None else parallel):
            return self._score_parallel(items, explain, explain_min_score, threshold)
        return self._score_serial(items, explain, explain_min_score, threshold)

    def score_one(self, post: PostInput, *, explain: bool | str = True) -> Verdict:
        """Verdict for a single post, with its explanation (``explain="flagged"``: only when flagged)."""
        return self._score_serial([self._check(post)], explain)[0]

    def close(self) -> None:
        """Stop the worker processes, if any were started."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def __enter__(self) -> MisinfoModel:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_pool"] = None
        return state

    # -- internals --------------------------------------------------------------------------------------
    @property
    def view(self) -> LinearView:
        if self._view is None:
            self._view = linear_view(self.pipeline)
        return self._view

    @staticmethod
    def _check(post: Any) -> PostInput:
        if isinstance(post, str):
            post = PostInput(text=post)
        text = getattr(post, "text", None)
        if not isinstance(text, str):
            raise ClassifierDataError(f"post text must be a str, got {type(text).__name__}")
        if len(text) > MAX_TEXT_CHARS:
            post = PostInput(
                text=text[:MAX_TEXT_CHARS],
                like_count=getattr(post, "like_count", None),
                comment_count=getattr(post, "comment_count", None),
                share_count=getattr(post, "share_count", None),
                published_at=getattr(post, "published_at", None),
            )
        return post

    @property
    def scorer(self) -> FastScorer:
        if self._scorer is None:
            self._scorer = FastScorer(self.pipeline)
        return self._scorer

    def _score_serial(self, posts: Sequence[PostInput], explain: bool | str,
                      explain_min_score: float = 0.0, threshold: float | None = None) -> list[Verdict]:
        blocks = self.scorer.blocks(posts)
        cased = isinstance(self.scorer.clf, CaseStack)
        inputs = self.scorer.case_scores(blocks) if cased else None
        probs = inputs.proba if inputs is not None else self.scorer.proba(blocks)
        scores = [s if math.isfinite(s) else 0.0 for s in np.asarray(probs, dtype=np.float64).tolist()]
        cases = ([INPUT_CASES[c] for c in inputs.used.tolist()] if inputs is not None
                 else [input_case(p) for p in posts])
        limits = [threshold if threshold is not None else self.threshold_for(c) for c in cases]
        explained = [
            i for i, (s, t) in enumerate(zip(scores, limits, strict=True))
            if (explain is True and s >= explain_min_score) or (explain == "flagged" and s >= t)
        ]
        evidence: dict[int, tuple[FeatureEvidence, ...]] = {}
        if explained and inputs is not None:
            text = blocks[0].matrix
            long_stack = self.scorer.long_stack
            found = explain_rows(self.scorer.clf, inputs, text, self.scorer.stack[0][: text.shape[1]],  # type: ignore[index]
                                 self.terms, [p.text for p in posts], explained, self.scorer.head_proba,
                                 article_coef=long_stack[0][: text.shape[1]] if long_stack is not None else None)
            evidence = dict(zip(explained, found, strict=True))
        elif explained:
            evidence = {i: evidence_for_row(self.view, blocks, i, posts[i].text) for i in explained}
        routes = ([ROUTE_ARTICLE if a else ROUTE_POST for a in inputs.article.tolist()] if inputs is not None
                  else [ROUTE_POST] * len(posts))
        return [
            Verdict(score=score, label=score >= limit, threshold=limit, model_version=self.version,
                    features=evidence.get(i, ()), language=detect_language(post.text), case=case, route=route)
            for i, (post, score, limit, case, route) in enumerate(
                zip(posts, scores, limits, cases, routes, strict=True))
        ]

    @property
    def terms(self) -> np.ndarray:
        """The n-gram of each word TF-IDF column (for phrase explanations)."""
        if self._terms is None:
            words = self.pipeline.named_steps["features"].transformer_list[0][1]
            self._terms = np.asarray(words.steps[-1][1].get_feature_names_out(), dtype=object)
        return self._terms

    def _score_parallel(self, posts: list[PostInput], explain: bool | str, explain_min_score: float,
                        threshold: float | None) -> list[Verdict]:
        if self._pool is None:
            # fork shares the loaded model copy-on-write and starts in milliseconds; it is safe because the
            # fast path uses no OpenMP. If sklearn's own gradient-boosting predict (OpenMP, which does not
            # survive fork) would be needed, start clean processes instead.
            scorer = self.scorer
            _ = self.terms if isinstance(scorer.clf, CaseStack) else self.view  # built once, shared by the forks
            needs_openmp = scorer.stack is not None and not (
                (scorer.boost is not None and scorer.boost.ok) or scorer.heads is not None)
            methods = multiprocessing.get_all_start_methods()
            method = "fork" if "fork" in methods and not needs_openmp else "spawn"
            if method == "spawn" and "forkserver" in methods:
                method = "forkserver"
            ctx = multiprocessing.get_context(method)
            self._pool = ProcessPoolExecutor(
                max_workers=self.n_jobs, mp_context=ctx, initializer=_init_worker, initargs=(self,)
            )
        size = max(50, math.ceil(len(posts) / (self.n_jobs * 4)))
        chunks = [posts[i : i + size] for i in range(0, len(posts), size)]
        out: list[Verdict] = []
        for part in self._pool.map(_score_in_worker, chunks, [explain] * len(chunks),
                                   [explain_min_score] * len(chunks), [threshold] * len(chunks)):
            out.extend(part)
        return out
