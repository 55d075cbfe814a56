"""Narratives from flagged posts and claims: keyword phrases by underthesea word segmentation, and units that share
them grouped together (a pure library: no database).

A *unit* is what is grouped: a claim (with the texts of its posts) or a cluster of near-duplicate flagged posts.
Its keyword phrases are the words of several syllables underthesea finds in its texts ("vắc xin", "ung thư",
"sổ đỏ"), lower-cased, ranked by TF-IDF across the units; never a word written as a name (a person's name is
never a reason) or a function word. Units that share two of their top phrases are one narrative ("vắc xin" and
"vô sinh"; one shared word alone, "vắc xin", would merge every vaccine rumour), except through phrases so
common (in more than ``common_share`` of the units) that they say nothing ("chia sẻ").

Segmenting is the slow part (tens of ms a unit), so it is split from the ranking: ``phrase_counts`` takes the
counts already known for a text (by ``phrase_key``: a hash of the normalised text as segmented and of
``PHRASES_VERSION``, to be bumped whenever ``unit_phrases`` changes) and segments only the others; the caller
keeps them wherever it likes. ``rank_phrases`` then ranks them across the units exactly as without a cache.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from collections.abc import Mapping, Sequence

from classifier.phrases import FUNCTION_WORDS
from classifier.segmentation import words
from vntext import normalize_chars, normalize_text

__all__ = ["GENERIC_PHRASES", "PHRASES_VERSION", "group_units", "keyword_phrases", "phrase_counts", "phrase_key",
           "rank_phrases", "unit_phrases"]

MAX_CHARS = 3000  # of each unit's text that is segmented (about 15 ms)

#: the version of ``unit_phrases`` (its rules, word lists and ``MAX_CHARS``): part of every ``phrase_key``, so
#: counts kept by an older extractor are never used again. Bump it with any change to what ``unit_phrases`` finds.
PHRASES_VERSION = "1"

#: words of social posts that say nothing about a topic (how posts talk, not what they are about)
GENERIC_PHRASES = frozenset({
    "chia sẻ", "khắp nơi", "mọi người", "tin đồn", "thông tin", "bài viết", "hôm nay", "bây giờ", "cảnh báo",
    "sự thật", "lan truyền", "mạng xã hội", "người thân", "bạn bè", "ngay lập tức", "nhanh chóng", "vừa qua",
})


def unit_phrases(text: str) -> Counter[str]:
    """The keyword phrase candidates of one text, counted: words of two or more syllables, not names."""
    text = text[:MAX_CHARS]
    found: Counter[str] = Counter()
    for word in words(text):
        phrase = normalize_text(text[word.start:word.end]).lower()
        syllables = phrase.split()
        if word.proper or len(syllables) < 2 or not all(s.isalpha() for s in syllables):
            continue
        if phrase in FUNCTION_WORDS or phrase in GENERIC_PHRASES:
            continue
        found[phrase] += 1
    return found


def phrase_key(text: str) -> str:
    """The key of ``unit_phrases(text)``: SHA-256 of ``PHRASES_VERSION`` and the normalised characters of the
    part of ``text`` that is segmented (``unit_phrases`` finds the same for texts of the same key)."""
    return hashlib.sha256(f"{PHRASES_VERSION}\0{normalize_chars(text[:MAX_CHARS])}".encode()).hexdigest()


def phrase_counts(units: Sequence[str], known: Mapping[str, Mapping[str, int]] | None = None, *,
                  keys: Sequence[str] | None = None) -> list[Counter[str]]:
    """``unit_phrases`` of each unit: from ``known`` (counts by ``phrase_key``) when there, else segmented (once
    per key). ``keys``: the units' ``phrase_key`` when the caller has them already."""
    seen: dict[str, Mapping[str, int]] = dict(known or {})
    counted: list[Counter[str]] = []
    for i, text in enumerate(units):
        key = keys[i] if keys is not None else phrase_key(text)
        if key not in seen:
            seen[key] = unit_phrases(text)
        counted.append(Counter(seen[key]))
    return counted


def rank_phrases(counted: Sequence[Mapping[str, int]], *, top: int = 8) -> list[list[str]]:
    """Each unit's ``top`` phrases (of its ``phrase_counts``) by TF-IDF across all the units, best first."""
    df: Counter[str] = Counter(p for c in counted for p in c)
    n = max(1, len(counted))
    ranked = []
    for c in counted:
        scores = {p: (1 + math.log(k)) * math.log((1 + n) / (1 + df[p]) + 1) for p, k in c.items()}
        ranked.append([p for p, _s in sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[:top]])
    return ranked


def keyword_phrases(units: Sequence[str], *, top: int = 8, known: Mapping[str, Mapping[str, int]] | None = None
                    ) -> list[list[str]]:
    """Each unit's ``top`` phrases by TF-IDF across all the units, best first (``known``: as ``phrase_counts``)."""
    return rank_phrases(phrase_counts(units, known), top=top)


def group_units(phrases: Sequence[Sequence[str]], *, common_share: float = 0.2, min_shared: int = 2
                ) -> list[list[int]]:
    """Units (by position) that share at least ``min_shared`` of their phrases (one, for a unit that has only
    one) grouped, transitively; largest groups first, units without phrases alone. Phrases in more than
    ``common_share`` of the units (and more than ten) link nothing."""
    n = len(phrases)
    sets = [set(ps) for ps in phrases]
    df: Counter[str] = Counter(p for ps in sets for p in ps)
    limit = max(10.0, common_share * n)
    holders: dict[str, list[int]] = {}
    for i, ps in enumerate(sets):
        for p in ps:
            if df[p] <= limit:
                holders.setdefault(p, []).append(i)
    shared: Counter[tuple[int, int]] = Counter()
    for units in holders.values():
        for a in range(len(units)):
            for b in range(a + 1, len(units)):
                shared[(units[a], units[b])] += 1
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for (a, b), count in shared.items():
        if count >= min(min_shared, len(sets[a]), len(sets[b])):
            parent[find(b)] = find(a)
    groups: dict[int, list[int]] = {}
    for i in range(n):
        groups.setdefault(find(i), []).append(i)
    return sorted(groups.values(), key=lambda g: (-len(g), g[0]))
