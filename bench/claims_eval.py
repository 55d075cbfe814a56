"""Which claim matcher: candidate methods measured on the claim matching set kept in tests/, same run.

    python bench/claims_eval.py [--reintel 2000] [--json-only]

The set (tests/fixtures/claims/matching_set.json): 29 Vietnamese claims, each with a repost with edits, its
unaccented copy, a paraphrase, a copy inside a longer post from another source and a short partial copy
(145 posts that should match), and 40 unrelated posts, many on a claim's topic. ``--reintel N`` adds the
first N ReINTEL posts (data/reintel/public_train.csv) as more unrelated posts: real Vietnamese social posts.

For each method: recall@1 over the posts that should match (their best claim is the right one, whatever the
score), and at each threshold the precision (of the posts whose best score is at or above it, the share whose
best claim is right) and recall (the share of should-match posts whose right claim is best and at or above it).
Ends with ONE JSON line.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from classifier.claim_match import METHODS, ClaimIndex  # noqa: E402
from vntext import fold_accents, simhash64_many  # noqa: E402

SET = REPO / "tests" / "fixtures" / "claims" / "matching_set.json"
THRESHOLDS = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)
KINDS = ("edit", "unaccented", "paraphrase", "embedded", "partial")


def load_set(path: Path = SET) -> tuple[list[str], list[tuple[str, int, str]], list[str]]:
    """(claims, [(post, claim index, kind)], unrelated posts); the unaccented copy of each repost is made here."""
    data = json.loads(path.read_text(encoding="utf-8"))
    claims, positives = [], []
    for number, entry in enumerate(data["claims"]):
        claims.append(entry["claim"])
        for kind in KINDS:
            text = fold_accents(entry["edit"]) if kind == "unaccented" else entry[kind]
            positives.append((text, number, kind))
    return claims, positives, list(data["unrelated"])


def reintel_posts(limit: int) -> list[str]:
    path = REPO / "data" / "reintel" / "public_train.csv"
    if limit <= 0 or not path.exists():
        return []
    csv.field_size_limit(2**31 - 1)
    with path.open(encoding="utf-8", newline="") as handle:
        texts = [row.get("post_message") or "" for row in csv.DictReader(handle)]
    return [t for t in texts if t.strip()][:limit]


Scorer = Callable[[Sequence[str], Sequence[str]], tuple[np.ndarray, np.ndarray]]


def index_scorer(method: str) -> Scorer:
    def run(claims: Sequence[str], posts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        best, score = ClaimIndex(claims, method=method).best(posts)
        return best, score
    return run


def simhash_scorer(claims: Sequence[str], posts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """1 - Hamming distance / 64 between SimHashes (the near-duplicate clusters' measure), of folded texts."""
    c = simhash64_many([fold_accents(t) for t in claims]).view(np.uint64)
    p = simhash64_many([fold_accents(t) for t in posts]).view(np.uint64)
    xor = p[:, None] ^ c[None, :]
    bits = np.unpackbits(xor.view(np.uint8).reshape(len(p), len(c), 8), axis=2).sum(axis=2)
    sims = 1.0 - bits / 64.0
    return sims.argmax(axis=1), sims.max(axis=1)


def underthesea_scorer(claims: Sequence[str], posts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """TF-IDF cosine over underthesea word segments (words of several syllables joined), folded afterwards."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from underthesea import word_tokenize

    def words(text: str) -> list[str]:
        return [fold_accents(w).casefold().replace(" ", "_") for w in word_tokenize(text) if any(
            ch.isalnum() for ch in w)]

    vectorizer = TfidfVectorizer(analyzer=words, sublinear_tf=True)
    cm = vectorizer.fit_transform(claims)
    sims = (vectorizer.transform(posts) @ cm.T).toarray()
    return sims.argmax(axis=1), sims.max(axis=1)


def measure(scorer: Scorer, claims: list[str], positives: list[tuple[str, int, str]],
            negatives: list[str]) -> dict[str, object]:
    posts = [p for p, _c, _k in positives] + negatives
    started = time.perf_counter()
    best, score = scorer(claims, posts)
    seconds = time.perf_counter() - started
    n = len(positives)
    truth = np.array([c for _p, c, _k in positives])
    right = best[:n] == truth
    kinds = np.array([k for _p, _c, k in positives])
    out: dict[str, object] = {
        "recall_at_1": round(float(right.mean()), 3),
        "recall_at_1_by_kind": {k: round(float(right[kinds == k].mean()), 3) for k in KINDS},
        "ms_per_post": round(seconds * 1000 / len(posts), 3),
        "highest_unrelated_score": round(float(score[n:].max()), 3) if negatives else None,
    }
    correct = np.concatenate([right, np.zeros(len(negatives), dtype=bool)])
    rows = {}
    for t in THRESHOLDS:
        above = score >= t
        rows[str(t)] = {"precision": round(float(correct[above].sum() / max(1, above.sum())), 3),
                        "recall": round(float((right & (score[:n] >= t)).mean()), 3),
                        "false_matches": int((above & ~correct).sum())}
    out["thresholds"] = rows
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reintel", type=int, default=2000, help="ReINTEL posts added as unrelated posts")
    parser.add_argument("--skip-underthesea", action="store_true", help="skip the (slow) segmentation method")
    args = parser.parse_args()
    claims, positives, unrelated = load_set()
    negatives = unrelated + reintel_posts(args.reintel)
    scorers: dict[str, Scorer] = {m: index_scorer(m) for m in METHODS}
    scorers["simhash"] = simhash_scorer
    if not args.skip_underthesea:
        scorers["underthesea_words_tfidf"] = underthesea_scorer
    results = {}
    print(f"{len(claims)} claims, {len(positives)} posts that should match, {len(negatives)} unrelated posts "
          f"({len(unrelated)} written, {len(negatives) - len(unrelated)} from ReINTEL)")
    for name, scorer in scorers.items():
        r = measure(scorer, claims, positives, negatives)
        results[name] = r
        by_kind = " ".join(f"{k}={v:.2f}" for k, v in r["recall_at_1_by_kind"].items())  # type: ignore[attr-defined]
        print(f"\n{name}: recall@1 {r['recall_at_1']:.3f} ({by_kind}), {r['ms_per_post']} ms/post, "
              f"highest unrelated score {r['highest_unrelated_score']}")
        for t, row in r["thresholds"].items():  # type: ignore[attr-defined]
            print(f"  >= {t}: precision {row['precision']:.3f}  recall {row['recall']:.3f}  "
                  f"false matches {row['false_matches']}")
    print(json.dumps({"claims": len(claims), "positives": len(positives), "negatives": len(negatives),
                      "methods": results}, ensure_ascii=False))


if __name__ == "__main__":
    main()
