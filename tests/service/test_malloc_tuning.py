"""glibc's mmap threshold is fixed by ``Runtime.open``: a large block freed no longer moves later large blocks
into the heap (where their fragments make a long crawl's RSS climb). Checked with glibc's own counters in fresh
processes, with the default behaviour as the control."""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

_PROBE = """
import ctypes, sys
class Mallinfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks",
                 "keepcost")]
libc = ctypes.CDLL(None)
libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]
libc.mallinfo2.restype = Mallinfo2
if sys.argv[1] == "fixed":
    from service.malloc_tuning import fix_mmap_threshold
    assert fix_mmap_threshold()
libc.free(libc.malloc(8 << 20))  # a large block, mapped and freed: glibc's default raises its threshold to it
before = libc.mallinfo2().hblks
block = libc.malloc(2 << 20)
print(libc.mallinfo2().hblks - before)  # 1: the 2 MiB block got a mapping of its own; 0: carved from the heap
libc.free(block)
"""


def _mapped_blocks(mode: str) -> int:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run([sys.executable, "-c", _PROBE, mode], env=env, capture_output=True, text=True,
                          check=True, timeout=60)
    return int(done.stdout.strip())


@pytest.mark.skipif(not hasattr(ctypes.CDLL(None), "mallinfo2"), reason="needs glibc 2.33 or later (mallinfo2)")
def test_a_large_block_freed_no_longer_moves_the_next_ones_into_the_heap() -> None:
    assert _mapped_blocks("default") == 0  # the control: glibc's sliding threshold
    assert _mapped_blocks("fixed") == 1


def test_runtime_open_fixes_the_threshold(tmp_path: Path) -> None:
    script = ("import service.malloc_tuning as m, sys\n"
              "from config import AppConfig, Settings\nfrom service.runtime import Runtime\n"
              f"Runtime.open(AppConfig(settings=Settings(database_url='sqlite:///{tmp_path / 'k.db'}'))).close()\n"
              "print(m._done)")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MALLOC_", "KIEMTIN_"))}
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True,
                          timeout=120, cwd=tmp_path)
    assert done.stdout.strip().splitlines()[-1] == "True"
    env["MALLOC_MMAP_THRESHOLD_"] = "65536"  # the operator's own choice is left alone
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True,
                          timeout=120, cwd=tmp_path)
    assert done.stdout.strip().splitlines()[-1] == "False"
