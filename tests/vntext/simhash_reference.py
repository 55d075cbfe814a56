"""The pure-Python SimHash that ``crawler.text.simhash64`` computed before ``vntext`` (kept verbatim as the
specification the vectorised version must equal bit for bit), and the dedupe words it was fed then."""

from __future__ import annotations

import hashlib
import re
import unicodedata

__all__ = ["old_dedupe_words", "simhash64_reference"]

_OLD_ZW_TABLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u180e"), None)
_WORD_RE = re.compile(r"\w+", re.UNICODE)


def old_dedupe_words(text: str) -> list[str]:
    """The crawler's dedupe words before vntext: NFC, its zero-width set removed, case-folded, ``\\w+``."""
    return _WORD_RE.findall(unicodedata.normalize("NFC", text.translate(_OLD_ZW_TABLE)).strip().casefold())


def simhash64_reference(syllables: list[str], *, shingle: int = 2) -> int:
    """The old loop, fed words instead of text: 64-bit SimHash over syllable shingles, signed int64."""
    if not syllables:
        return 0
    n = min(shingle, len(syllables))
    weights = [0] * 64
    for i in range(len(syllables) - n + 1):
        gram = " ".join(syllables[i : i + n]).encode("utf-8")
        h = int.from_bytes(hashlib.blake2b(gram, digest_size=8).digest(), "big")
        for bit in range(64):
            weights[bit] += 1 if (h >> bit) & 1 else -1
    value = 0
    for bit in range(64):
        if weights[bit] > 0:
            value |= 1 << bit
    return value - (1 << 64) if value >= (1 << 63) else value
