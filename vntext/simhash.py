"""64-bit SimHash over syllable shingles of the dedupe form, one text or many at once (numpy).

Each shingle (two consecutive syllables by default; one when the text has a single syllable) is hashed
with BLAKE2b (8-byte digest, read big-endian); bit ``b`` of the SimHash is set when more shingles have
bit ``b`` set than not. Values are signed int64 (-2**63 .. 2**63-1) so they fit a BIGINT column; a text
without words hashes to 0. ``simhash64`` and ``simhash64_many`` give the same value for the same text.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

import numpy as np

from vntext.dedupe import dedupe_words

__all__ = ["hamming", "hamming_many", "simhash64", "simhash64_many"]

_MASK64 = (1 << 64) - 1
#: Shingles hashed before their bits are counted: keeps the (64 x shingles) bit matrix near 4 MiB (a single
#: text with more shingles is counted whole).
_GRAMS_PER_STEP = 1 << 16


def _digests(text: str, shingle: int) -> bytes:
    """The concatenated 8-byte BLAKE2b digests of the text's shingles (empty when it has no words)."""
    words = dedupe_words(text)
    if not words:
        return b""
    n = min(shingle, len(words))
    joined = " ".join(words).encode("utf-8")
    spaces = np.flatnonzero(np.frombuffer(joined, dtype=np.uint8) == 32).tolist()
    starts, ends = [0, *(i + 1 for i in spaces)], [*spaces, len(joined)]
    blake2b = hashlib.blake2b
    return b"".join(
        [blake2b(joined[start:end], digest_size=8).digest() for start, end in zip(starts, ends[n - 1 :], strict=False)]
    )


def _majority_bits(digests: list[bytes]) -> np.ndarray:
    """SimHashes (int64) of texts given as their shingle digests; each entry must be non-empty."""
    counts = np.fromiter((len(d) >> 3 for d in digests), dtype=np.int64, count=len(digests))
    by_byte = np.frombuffer(b"".join(digests), dtype=np.uint8).reshape(-1, 8).T
    # row 8*j + k: bit k (least significant first) of digest byte j, one column per shingle; bytes are big-endian
    bits = np.unpackbits(np.ascontiguousarray(by_byte), axis=0, bitorder="little")
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    ones = np.add.reduceat(bits, starts, axis=1, dtype=np.int64)
    packed = np.packbits(2 * ones > counts, axis=0, bitorder="little")  # (8 bytes, texts)
    return np.ascontiguousarray(packed.T).view(">i8").ravel().astype(np.int64)


def simhash64_many(texts: Sequence[str], *, shingle: int = 2) -> np.ndarray:
    """SimHashes of many texts as an int64 array, in order (0 for a text without words)."""
    if shingle < 1:
        raise ValueError(f"shingle must be at least 1, got {shingle}")
    out = np.zeros(len(texts), dtype=np.int64)
    pending: list[bytes] = []
    where: list[int] = []
    grams = 0
    for i, text in enumerate(texts):
        digests = _digests(text, shingle)
        if not digests:
            continue
        pending.append(digests)
        where.append(i)
        grams += len(digests) >> 3
        if grams >= _GRAMS_PER_STEP:
            out[where] = _majority_bits(pending)
            pending, where, grams = [], [], 0
    if pending:
        out[where] = _majority_bits(pending)
    return out


def simhash64(text: str, *, shingle: int = 2) -> int:
    """SimHash of one text as a Python int in the signed int64 range (0 for a text without words)."""
    return int(simhash64_many([text], shingle=shingle)[0])


def hamming(a: int, b: int) -> int:
    """Number of differing bits between two 64-bit SimHashes (signed or unsigned form)."""
    return ((a ^ b) & _MASK64).bit_count()


def hamming_many(value: int, others: Iterable[int] | np.ndarray) -> np.ndarray:
    """Hamming distances (int64 array) from one SimHash to many, signed or unsigned, in order."""
    if isinstance(others, np.ndarray):
        if others.dtype not in (np.int64, np.uint64):
            raise TypeError(f"SimHashes must be int64 or uint64, got {others.dtype}")
        arr = others.view(np.uint64)
    else:
        arr = np.fromiter((o & _MASK64 for o in others), dtype=np.uint64)
    differ = (arr ^ np.uint64(value & _MASK64)).view(np.uint8).reshape(-1, 8)
    return np.unpackbits(differ, axis=1).sum(axis=1, dtype=np.int64)
