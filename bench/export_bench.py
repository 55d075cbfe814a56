"""Export benchmark: 200,000 confirmed items in a temporary SQLite database, exported in one go.

    python bench/export_bench.py [--rows N] [--format csv|jsonl|xlsx]

Seeding uses bulk inserts straight through the DB-API (seconds). The export then runs in a fresh child process
(``run_export``, exactly what ``kiemtin export`` calls), which reports wall-clock seconds and its peak memory
as the growth of resident memory (peak RSS from getrusage minus RSS measured just before the export, after
imports). The last line printed is one JSON object: {"rows": .., "seconds": .., "peak_mb": .., ...}.
Targets: under 10 s and under 200 MB for 200,000 rows.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CATEGORIES = ("false_claim", "health_misinformation", "scam_fraud", "impersonation", "manipulated_media")
PLATFORMS = ("facebook", "tiktok", "youtube", "rss")
CHUNK = 20_000


def _rss_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _chunks(rows: Iterator[tuple[object, ...]]) -> Iterator[list[tuple[object, ...]]]:
    batch: list[tuple[object, ...]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch


def seed(url: str, n: int) -> None:
    from store import Database

    db = Database(url)
    db.upgrade()
    when = "2024-05-01 08:00:00.000000"
    with db.engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO users (id, username, password_hash, role, pseudonym, active, created_at) VALUES "
            "(1, 'ana', '-', 'analyst', 'Người duyệt A', 1, ?), (2, 'rita', '-', 'reviewer', 'reviewer-r1', 1, ?)",
            (when, when))

        def text(i: int) -> str:
            return (f"Bài viết {i}: Tin đồn rằng uống nước chanh nóng chữa khỏi bệnh đã được Bộ Y tế bác bỏ. "
                    f"Chia sẻ ngay để mọi người cùng biết! #{i % 977}")

        def inserts(sql: str, rows: Iterator[tuple[object, ...]]) -> None:
            for batch in _chunks(rows):
                conn.exec_driver_sql(sql, batch)

        inserts(
            "INSERT INTO posts (id, platform, external_id, url, canonical_url, author_handle, text, first_seen_at, "
            "fetched_at, language, content_sha256, cluster_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            ((i, PLATFORMS[i % 4], str(10**12 + i), f"https://example.vn/p/{i}", f"https://example.vn/p/{i}",
              f"Trang {i % 5000}", text(i), when, when, "vi", hashlib.sha256(text(i).encode()).hexdigest(), i)
             for i in range(1, n + 1)))
        inserts(
            "INSERT INTO snapshots (id, post_id, text, sha256, url, captured_at) VALUES (?,?,?,?,?,?)",
            ((i, i, text(i), hashlib.sha256(text(i).encode()).hexdigest(), f"https://example.vn/p/{i}", when)
             for i in range(1, n + 1)))
        inserts(
            "INSERT INTO verdicts (id, post_id, snapshot_id, model_version, score, label, threshold, features, "
            "created_at) VALUES (?,?,?,?,?,?,?,?,?)",
            ((i, i, i, "bench", 0.9, 1, 0.5, "[]", when) for i in range(1, n + 1)))
        inserts(
            "INSERT INTO queue_items (id, post_id, verdict_id, status, priority, category, created_at, updated_at) "
            "VALUES (?,?,?,?,?,?,?,?)",
            ((i, i, i, "confirmed", 1.0, CATEGORIES[i % 5], when, when) for i in range(1, n + 1)))
        inserts(
            "INSERT INTO decisions (id, queue_item_id, post_id, snapshot_id, user_id, action, category, "
            "justification, reference_url, created_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
            ((i, i, i, i, 1, "confirm", CATEGORIES[i % 5], "Bộ Y tế đã bác bỏ thông tin này",
              "https://moh.gov.vn/bac-bo", f"2024-05-01 08:{(i // 3600) % 60:02d}:{i % 60:02d}.000000")
             for i in range(1, n + 1)))
        conn.exec_driver_sql("UPDATE queue_items SET current_decision_id = id")
        conn.exec_driver_sql(
            "INSERT INTO export_profiles (id, name, recipient, format, filters, created_at) "
            "VALUES (1, 'bench', 'Bench', 'csv', '{}', ?)", (when,))
    db.dispose()


def export_child(url: str, folder: str, fmt: str) -> dict[str, object]:
    from config import Settings
    from review.exports import run_export
    from store import Database

    db = Database(url)
    settings = Settings(database_url=url, exports_dir=Path(folder))
    baseline = _rss_kb()
    start, cpu = time.perf_counter(), time.process_time()
    info = run_export(db, settings, actor="rita", profile="bench", format=fmt)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"rows": info.row_count, "seconds": round(seconds, 2), "peak_mb": round((peak - baseline) / 1024, 1),
            "peak_measure": "peak RSS minus RSS before the export (getrusage/proc)",
            "process_peak_rss_mb": round(peak / 1024, 1), "format": fmt,
            "file_mb": round(info.manifest["files"][0]["bytes"] / 2**20, 1), "database": "sqlite",
            "cpu_seconds": round(cpu, 2), "load_average_1m": round(os.getloadavg()[0], 1), "cpus": os.cpu_count()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--format", default="csv", choices=("csv", "jsonl", "xlsx"))
    parser.add_argument("--child", nargs=2, metavar=("URL", "DIR"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(export_child(args.child[0], args.child[1], args.format)))
        return
    with tempfile.TemporaryDirectory(prefix="kiemtin-export-bench-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        start = time.perf_counter()
        seed(url, args.rows)
        print(f"seeded {args.rows:,} confirmed items in {time.perf_counter() - start:.1f} s", flush=True)
        child = subprocess.run([sys.executable, __file__, "--format", args.format, "--child", url,
                                str(Path(tmp) / "exports")], capture_output=True, text=True, check=False)
        if child.returncode != 0:
            sys.stderr.write(child.stderr)
            raise SystemExit(child.returncode)
        print(child.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    main()
