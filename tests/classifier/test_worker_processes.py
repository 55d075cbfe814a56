"""The model's worker processes end with the process that started them, even when it is killed with SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

SCRIPT = """
import sys, time
from pathlib import Path
from classifier import PostInput, load_model
model = load_model(Path(sys.argv[1]))
model.n_jobs = 2
model.score([PostInput(text=f"tin số {i} về giá xăng hôm nay") for i in range(8)], explain=False, parallel=True)
print(" ".join(str(pid) for pid in model._pool._processes), flush=True)
time.sleep(120)
"""


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            return f.read().split(") ")[-1][:1] != "Z"
    except FileNotFoundError:
        return False


def test_workers_stay_with_their_parent_and_end_when_it_is_killed():
    workers: list[int] = []
    parent = subprocess.Popen([sys.executable, "-c", SCRIPT, str(REPO / "models")], cwd=REPO,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout is not None
        workers += [int(pid) for pid in parent.stdout.readline().split()]
        assert len(workers) == 2
        time.sleep(2.5)  # more than two checks of the parent
        assert all(_alive(pid) for pid in workers)
        parent.send_signal(signal.SIGKILL)
        parent.wait(10)
        deadline = time.monotonic() + 15
        while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(_alive(pid) for pid in workers), "a worker outlived its killed parent"
    finally:
        parent.kill()
        parent.wait(10)
        for pid in workers:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
