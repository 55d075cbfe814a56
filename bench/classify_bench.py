"""Classifier speed bench on the unlabelled ReINTEL posts (public_test.csv + private_test.csv).

    python bench/classify_bench.py [--models-dir models] [--data-dir data/reintel] [--tokenizer-posts 600]

Prints batch posts/s (all cores, scores only), single-post score_one latency (p50/p99, scores only), the time
to explain one flagged post (words and phrases with underthesea, similarity, signals; timed separately, as the
issue asks), batch posts/s as the pipeline runs it (evidence for the flagged posts only), bare underthesea
word_tokenize posts/s on the same posts, model load time and peak RSS (after explaining, so with underthesea
loaded), then ONE JSON line with those figures.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from classifier import PostInput, load_model  # noqa: E402
from classifier.data import parse_count, parse_timestamp  # noqa: E402
from classifier.tokens import token_string  # noqa: E402


def read_posts(data_dir: Path) -> list[PostInput]:
    csv.field_size_limit(2**31 - 1)
    posts = []
    for name in ("public_test.csv", "private_test.csv"):
        with (data_dir / name).open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                posts.append(
                    PostInput(
                        text=row.get("post_message") or "",
                        like_count=parse_count(row.get("num_like_post")),
                        comment_count=parse_count(row.get("num_comment_post")),
                        share_count=parse_count(row.get("num_share_post")),
                        published_at=parse_timestamp(row.get("timestamp_post")),
                    )
                )
    return posts


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _percentiles(timings: list[float]) -> tuple[float, float]:
    timings = sorted(timings)
    return statistics.median(timings), timings[min(len(timings) - 1, int(round(0.99 * (len(timings) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models-dir", type=Path, default=REPO / "models")
    parser.add_argument("--data-dir", type=Path, default=REPO / "data" / "reintel")
    parser.add_argument("--tokenizer-posts", type=int, default=600, help="posts for the underthesea figure")
    parser.add_argument("--latency-posts", type=int, default=500)
    parser.add_argument("--explain-posts", type=int, default=300, help="flagged posts explained one by one")
    args = parser.parse_args()

    posts = read_posts(args.data_dir)
    print(f"posts: {len(posts)} (unlabelled ReINTEL), cores: {os.cpu_count()}")

    started = time.perf_counter()
    model = load_model(args.models_dir)
    load_s = time.perf_counter() - started
    print(f"model {model.version}: load {load_s:.3f} s")

    # scores only (cold caches; the time includes starting the worker processes)
    started = time.perf_counter()
    verdicts = model.score(posts, explain=False)
    batch_rate = len(posts) / (time.perf_counter() - started)
    flagged = [p for p, v in zip(posts, verdicts, strict=True) if v.label]
    print(f"batch (scores only, {model.n_jobs} workers): {batch_rate:,.0f} posts/s; flagged {len(flagged)} "
          f"({len(flagged) / len(posts):.1%}); cases {sorted({v.case for v in verdicts})}")
    model.close()
    token_string.cache_clear()

    sample = posts[: args.latency_posts]
    model.score_one(sample[0], explain=False)
    timings = []
    for post in sample:
        t0 = time.perf_counter()
        model.score_one(post, explain=False)
        timings.append((time.perf_counter() - t0) * 1000)
    p50, p99 = _percentiles(timings)
    print(f"score_one (scores only): p50 {p50:.2f} ms, p99 {p99:.2f} ms over {len(sample)} posts")

    # explaining a flagged post, one at a time (the first call loads underthesea: not counted)
    model.score_one(flagged[0])
    explain_ms = []
    for post in flagged[: args.explain_posts]:
        t0 = time.perf_counter()
        model.score_one(post)
        explain_ms.append((time.perf_counter() - t0) * 1000)
    e50, e99 = _percentiles(explain_ms)
    print(f"score_one with evidence, flagged posts: p50 {e50:.1f} ms, p99 {e99:.1f} ms over {len(explain_ms)} posts")

    token_string.cache_clear()
    started = time.perf_counter()
    model.score(posts, explain="flagged")
    pipeline_rate = len(posts) / (time.perf_counter() - started)
    print(f"batch as the pipeline runs it (evidence for flagged posts, {model.n_jobs} workers): "
          f"{pipeline_rate:,.0f} posts/s")
    model.close()
    rss = peak_mb()
    print(f"peak RSS (main process, underthesea loaded): {rss:.0f} MB")

    from underthesea import word_tokenize

    tok_sample = posts[: args.tokenizer_posts]
    word_tokenize("khởi động")
    started = time.perf_counter()
    for post in tok_sample:
        word_tokenize(post.text)
    tok_rate = len(tok_sample) / (time.perf_counter() - started)
    print(f"underthesea word_tokenize (1 core): {tok_rate:,.0f} posts/s over {len(tok_sample)} posts")
    ratio = batch_rate / tok_rate
    print(f"ratio kiemtin batch / tokenizer: {ratio:.1f}x")
    print(
        json.dumps(
            {
                "batch_posts_per_s": round(batch_rate, 1),
                "p50_ms": round(p50, 3),
                "p99_ms": round(p99, 3),
                "explain_flagged_p50_ms": round(e50, 2),
                "explain_flagged_p99_ms": round(e99, 2),
                "batch_pipeline_posts_per_s": round(pipeline_rate, 1),
                "flagged_share": round(len(flagged) / len(posts), 4),
                "tokenizer_posts_per_s": round(tok_rate, 1),
                "ratio_to_tokenizer": round(ratio, 2),
                "load_s": round(load_s, 3),
                "peak_mb": round(rss, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
