"""Several processes migrating a new PostgreSQL database at once (e.g. replicas starting together)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from store.db import Database
from tests_support import fresh_postgres_database

ROOT = Path(__file__).resolve().parents[2]
WORKER = """
import sys, time
from pathlib import Path
from store.db import Database
go = Path(sys.argv[2])
while not go.exists():
    time.sleep(0.01)
Database(sys.argv[1]).upgrade()
"""


def test_processes_migrating_a_new_postgres_database_together_all_succeed(tmp_path):
    base = os.environ.get("KIEMTIN_TEST_POSTGRES_URL")
    if not base:
        pytest.skip("PostgreSQL not configured: set KIEMTIN_TEST_POSTGRES_URL (the CI does)")
    with fresh_postgres_database(base, prefix="kiemtin_upgrade") as url:
        go = tmp_path / "go"
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        procs = [
            subprocess.Popen([sys.executable, "-c", WORKER, url, str(go)], cwd=ROOT, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(3)
        ]
        try:
            time.sleep(1.5)  # let all three import and wait at the start line (not an assertion)
            go.touch()
            results = [(p.wait(timeout=120), p.stderr.read() if p.stderr else "") for p in procs]
            assert [code for code, _ in results] == [0, 0, 0], [err[-800:] for _, err in results]
            db = Database(url)
            assert db.current_revision() is not None
            with db.engine.connect() as conn:
                assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
            db.dispose()
        finally:
            for p in procs:
                p.kill()
