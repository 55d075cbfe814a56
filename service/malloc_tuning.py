"""A fixed mmap threshold for glibc's malloc, so a long crawl's memory stays flat.

glibc serves a large allocation with its own mapping, but each time one is freed it raises that threshold to the
freed size (up to 32 MiB). From then on buffers of several MiB (a stored batch's SimHash bit matrix, a scoring
batch pickled for the model's workers) are carved from the heap of whichever thread asks, and the process's RSS
climbs over a long crawl with the fragments left behind. Fixing the threshold (``mallopt(M_MMAP_THRESHOLD)``,
which also turns the raising off) keeps those buffers in mappings returned to the kernel when freed. Measured
(`bench/ingest_bench.py`'s memory run, 30,000 posts from the JSON API, pages stored up to 512 posts a
transaction): peak RSS 441-452 MB with glibc's default, 353-362 MB with the threshold fixed at 128 KiB or 1 MiB.
"""

from __future__ import annotations

import ctypes
import logging
import os

__all__ = ["MMAP_THRESHOLD", "fix_mmap_threshold"]

log = logging.getLogger("kiemtin.memory")

MMAP_THRESHOLD = 1 << 20  # bytes: larger blocks get a mapping of their own
_M_MMAP_THRESHOLD = -3  # mallopt's parameter number (malloc.h)
_done = False


def fix_mmap_threshold(threshold: int = MMAP_THRESHOLD) -> bool:
    """Fix glibc's mmap threshold for this process (and the processes it forks after); once per process.

    Does nothing, and returns False, where the C library is not glibc, or when ``MALLOC_MMAP_THRESHOLD_`` is set
    (the operator's own choice, which glibc read at start)."""
    global _done
    if _done:
        return True
    if "MALLOC_MMAP_THRESHOLD_" in os.environ:
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt  # the symbols already loaded: the C library's
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to fix
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    _done = mallopt(_M_MMAP_THRESHOLD, threshold) == 1
    if not _done:
        log.debug("mallopt(M_MMAP_THRESHOLD, %d) was refused", threshold)
    return _done
