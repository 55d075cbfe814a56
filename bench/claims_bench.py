"""Claim matching speed: posts matched per second against 10,000 claims, against the 1,000 posts/s ingest needs.

    python bench/claims_bench.py [--claims 10000] [--posts 5000] [--batch 256]

Claims are the first sentences (up to 30 words) of ReINTEL posts (data/reintel, public_train and public_test);
the posts are ReINTEL's private_test posts, as ingest sees them. Times the index build once and the matching
(``ClaimIndex.top`` at the suggest threshold, in ingest's batches) over all posts, with the ratio to the
required 1,000 posts/s measured in the same run. Ends with ONE JSON line.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from classifier.claim_match import DEFAULT_METHOD, ClaimIndex  # noqa: E402
from config import Settings  # noqa: E402

REQUIRED_POSTS_PER_S = 1000.0
_SENTENCE = re.compile(r"[^.!?\n]+")


def read(name: str) -> list[str]:
    csv.field_size_limit(2**31 - 1)
    with (REPO / "data" / "reintel" / name).open(encoding="utf-8", newline="") as handle:
        return [row.get("post_message") or "" for row in csv.DictReader(handle)]


def claim_texts(limit: int) -> list[str]:
    claims, seen = [], set()
    for text in read("public_train.csv") + read("public_test.csv"):
        for sentence in _SENTENCE.findall(text):
            words = sentence.split()
            if len(words) >= 6:
                claim = " ".join(words[:30])
                if claim not in seen:
                    seen.add(claim)
                    claims.append(claim)
            if len(claims) >= limit:
                return claims
    return claims


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--claims", type=int, default=10_000)
    parser.add_argument("--posts", type=int, default=5_000)
    parser.add_argument("--batch", type=int, default=256, help="posts per call, as ingest's batches")
    args = parser.parse_args()
    claims = claim_texts(args.claims)
    posts = [t for t in read("private_test.csv") if t.strip()][: args.posts]
    minimum = Settings().claim_suggest_threshold
    started = time.perf_counter()
    index = ClaimIndex(claims)
    build_s = time.perf_counter() - started
    started, cpu_started = time.perf_counter(), time.process_time()
    matched = 0
    for at in range(0, len(posts), args.batch):
        matched += sum(1 for hits in index.top(posts[at: at + args.batch], minimum=minimum) if hits)
    match_s, cpu_s = time.perf_counter() - started, time.process_time() - cpu_started
    rate, cpu_rate = len(posts) / match_s, len(posts) / max(cpu_s, 1e-9)
    mean_chars = sum(len(p) for p in posts) / max(1, len(posts))
    print(f"{len(claims):,} claims indexed in {build_s:.2f} s ({DEFAULT_METHOD})")
    print(f"{len(posts):,} posts (mean {mean_chars:.0f} characters) matched in {match_s:.2f} s: {rate:,.0f} posts/s, "
          f"{rate / REQUIRED_POSTS_PER_S:.2f}x the required {REQUIRED_POSTS_PER_S:,.0f} posts/s; "
          f"{matched:,} posts at or above the suggest threshold {minimum}")
    print(f"CPU time {cpu_s:.2f} s: {cpu_rate:,.0f} posts per CPU second (wall time counts other processes' load)")
    print(json.dumps({"method": DEFAULT_METHOD, "claims": len(claims), "posts": len(posts), "batch": args.batch,
                      "build_s": round(build_s, 3), "match_s": round(match_s, 3), "posts_per_s": round(rate, 1),
                      "cpu_s": round(cpu_s, 3), "posts_per_cpu_s": round(cpu_rate, 1),
                      "required_posts_per_s": REQUIRED_POSTS_PER_S,
                      "ratio_to_required": round(rate / REQUIRED_POSTS_PER_S, 2), "posts_matched": matched}))


if __name__ == "__main__":
    main()
