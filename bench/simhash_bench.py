"""SimHash speed: vntext's numpy SimHash against the pure-Python loop the crawler used before, same run.

    python bench/simhash_bench.py [--data-dir data/reintel] [--repeat 3]

Hashes every ReINTEL post (public_train, public_test, private_test) with the old function (NFC and zero-width
removal, then a 64-bit loop per shingle; kept as the reference in tests/vntext/simhash_reference.py), with
``vntext.simhash64`` one post at a time and with ``vntext.simhash64_many`` for the whole set; checks the
vectorised values equal the reference loop on the same words; prints ms per post (best of --repeat) and ends
with ONE JSON line.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "vntext"))

from simhash_reference import old_dedupe_words, simhash64_reference  # noqa: E402
from vntext import dedupe_words, simhash64, simhash64_many  # noqa: E402


def read_texts(data_dir: Path) -> list[str]:
    csv.field_size_limit(2**31 - 1)
    texts: list[str] = []
    for name in ("public_train.csv", "public_test.csv", "private_test.csv"):
        with (data_dir / name).open(encoding="utf-8", newline="") as handle:
            texts += [row.get("post_message") or "" for row in csv.DictReader(handle)]
    return texts


def best_ms_per_post(run: Callable[[], object], posts: int, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times) / posts * 1000.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=REPO / "data" / "reintel")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    texts = read_texts(args.data_dir)
    n = len(texts)
    print(f"posts: {n} (ReINTEL), mean {sum(map(len, texts)) / n:.0f} characters")
    equal = simhash64_many(texts).tolist() == [simhash64_reference(dedupe_words(t)) for t in texts]
    print(f"vectorised == pure-Python loop on the same words: {equal}")
    old = best_ms_per_post(lambda: [simhash64_reference(old_dedupe_words(t)) for t in texts], n, args.repeat)
    single = best_ms_per_post(lambda: [simhash64(t) for t in texts], n, args.repeat)
    batch = best_ms_per_post(lambda: simhash64_many(texts), n, args.repeat)
    print(f"old pure-Python simhash64:   {old:.3f} ms/post")
    print(f"vntext.simhash64 (one post): {single:.3f} ms/post  ({old / single:.1f}x)")
    print(f"vntext.simhash64_many:       {batch:.3f} ms/post  ({old / batch:.1f}x)")
    print(json.dumps({
        "posts": n, "old_ms_per_post": round(old, 4), "single_ms_per_post": round(single, 4),
        "batch_ms_per_post": round(batch, 4), "ratio_single": round(old / single, 2),
        "ratio_batch": round(old / batch, 2), "bit_equal": equal,
    }))


if __name__ == "__main__":
    main()
