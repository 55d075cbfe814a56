"""MisinfoModel: a fitted pipeline plus its version and operating threshold, turning posts into verdicts."""

from __future__ import annotations

import math
import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from sklearn.pipeline import Pipeline

from classifier.errors import ClassifierDataError
from classifier.explain import LinearView, evidence_for_row, linear_view
from classifier.fast_path import FastScorer
from classifier.records import PostInput, Verdict
from vntext import detect_language

__all__ = ["MAX_TEXT_CHARS", "MisinfoModel"]

#: Longer texts are scored on their first MAX_TEXT_CHARS characters (explanations stay within that prefix).
MAX_TEXT_CHARS = 100_000
#: Batches at least this large are spread over worker processes.
PARALLEL_MIN_BATCH = 400

_WORKER_MODEL: MisinfoModel | None = None


def _init_worker(model: MisinfoModel) -> None:
    global _WORKER_MODEL
    _WORKER_MODEL = model


def _score_in_worker(posts: list[PostInput], explain: bool, explain_min_score: float) -> list[Verdict]:
    assert _WORKER_MODEL is not None  # noqa: S101 - set by the pool initializer
    return _WORKER_MODEL._score_serial(posts, explain, explain_min_score)


class MisinfoModel:
    """Scores posts with a fitted pipeline; ``score`` uses worker processes for large batches."""

    def __init__(self, pipeline: Pipeline, version: str, threshold: float, *, n_jobs: int | None = None):
        self.pipeline = pipeline
        self.version = version
        self.threshold = float(threshold)
        self.n_jobs = n_jobs if n_jobs is not None else (os.cpu_count() or 1)
        self._view: LinearView | None = None
        self._scorer: FastScorer | None = None
        self._pool: ProcessPoolExecutor | None = None

    # -- public API -------------------------------------------------------------------------------------
    def score(self, posts: Sequence[PostInput], *, explain: bool = True,
              explain_min_score: float = 0.0) -> list[Verdict]:
        """Verdicts for ``posts`` in order. Large batches run in worker processes (one model copy each).

        With ``explain``, verdicts scoring at least ``explain_min_score`` carry their evidence (a queue passes its
        threshold, so only what a person will review pays for finding the spans); the others carry none.
        """
        items = [self._check(p) for p in posts]
        if not items:
            return []
        if self.n_jobs > 1 and len(items) >= PARALLEL_MIN_BATCH:
            return self._score_parallel(items, explain, explain_min_score)
        return self._score_serial(items, explain, explain_min_score)

    def score_one(self, post: PostInput) -> Verdict:
        """Verdict (with explanation) for a single post."""
        return self._score_serial([self._check(post)], True)[0]

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

    def _score_serial(self, posts: Sequence[PostInput], explain: bool,
                      explain_min_score: float = 0.0) -> list[Verdict]:
        blocks = self.scorer.blocks(posts)
        probs = self.scorer.proba(blocks)
        view = self.view if explain else None
        out = []
        for i, post in enumerate(posts):
            score = float(probs[i])
            if not math.isfinite(score):
                score = 0.0
            evidence = (
                evidence_for_row(view, blocks, i, post.text)
                if view is not None and score >= explain_min_score
                else ()
            )
            out.append(
                Verdict(
                    score=score,
                    label=score >= self.threshold,
                    threshold=self.threshold,
                    model_version=self.version,
                    features=evidence,
                    language=detect_language(post.text),
                )
            )
        return out

    def _score_parallel(self, posts: list[PostInput], explain: bool, explain_min_score: float) -> list[Verdict]:
        if self._pool is None:
            # fork shares the loaded model copy-on-write and starts in milliseconds; it is safe because the
            # fast path uses no OpenMP. If sklearn's own gradient-boosting predict (OpenMP, which does not
            # survive fork) would be needed, start clean processes instead.
            scorer = self.scorer
            _ = self.view
            needs_openmp = scorer.stack is not None and not (scorer.boost is not None and scorer.boost.ok)
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
                                   [explain_min_score] * len(chunks)):
            out.extend(part)
        return out
