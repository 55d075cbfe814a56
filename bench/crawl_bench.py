# ruff: noqa: E501
"""Crawl throughput: kiemtin's Fetcher vs Scrapy on N small pages from a local server.

    python bench/crawl_bench.py [--pages N] [--concurrency C]

A raw asyncio HTTP/1.1 keep-alive server runs in its own process on 127.0.0.1 and serves N
small Vietnamese HTML pages (robots.txt -> 404). Both crawlers run in their own subprocesses at
equal concurrency with politeness delays off for this host (robots.txt still fetched/obeyed).
Scrapy is not a project dependency: if it is not importable, it is pip-installed into a
throw-away venv under /tmp; if that fails, its figure is reported as null. The last line printed
is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BODY = (
    "<!DOCTYPE html><html lang='vi'><head><meta charset='utf-8'><title>Tin {i}</title></head><body>"
    "<article><h1>Tin số {i}</h1><p>UBND TP Cần Thơ ra công văn cho học sinh, sinh viên nghỉ học "
    "đến hết tháng 3/2020 để phòng chống dịch COVID-19.</p><a href='/p/{n}'>tiếp</a></article></body></html>"
)


def serve(port_q: mp.Queue) -> None:
    import asyncio

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                path = head.split(b" ", 2)[1].decode()
                if path.startswith("/p/"):
                    i = int(path[3:])
                    body = BODY.format(i=i, n=i + 1).encode()
                    status = b"200 OK"
                else:
                    body, status = b"not found", b"404 Not Found"
                writer.write(
                    b"HTTP/1.1 "
                    + status
                    + b"\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: "
                    + str(len(body)).encode()
                    + b"\r\n\r\n"
                    + body
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def main() -> None:
        srv = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=1024)
        port_q.put(srv.sockets[0].getsockname()[1])
        async with srv:
            await srv.serve_forever()

    asyncio.run(main())


KIEMTIN = r"""
import asyncio, json, resource, sys, time
sys.path.insert(0, {root!r})
from crawler import CrawlSettings, Fetcher
N, C, PORT = {n}, {c}, {port}
async def main():
    s = CrawlSettings(user_agent="kiemtin-bench/0.1 (+https://github.com/kiemtin)", min_delay_s=0.0,
                      concurrency_per_host=C, max_connections=C, allow_networks=["127.0.0.1/32"],
                      autothrottle=False, max_total_s=3600)
    nxt = iter(range(N))
    ok = 0
    async with Fetcher(s) as f:
        async def worker():
            nonlocal ok
            for i in nxt:
                r = await f.get(f"http://127.0.0.1:{{PORT}}/p/{{i}}", expect="html")
                ok += len(r.content) > 0
        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(C)))
        dt = time.perf_counter() - t0
    print(json.dumps({{"ok": ok, "seconds": dt, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
asyncio.run(main())
"""

SCRAPY = r"""
import json, resource, time
import scrapy
from scrapy.crawler import CrawlerProcess
N, C, PORT = {n}, {c}, {port}
res = {{"ok": 0}}
class Bench(scrapy.Spider):
    name = "bench"
    def start_requests(self):
        res["t0"] = time.perf_counter()
        for i in range(N):
            yield scrapy.Request(f"http://127.0.0.1:{{PORT}}/p/{{i}}", dont_filter=True)
    async def start(self):  # Scrapy >= 2.13 entry point; older versions call start_requests()
        for req in self.start_requests():
            yield req
    def parse(self, response):
        res["ok"] += len(response.body) > 0
        res["t1"] = time.perf_counter()
p = CrawlerProcess(settings={{
    "CONCURRENT_REQUESTS": C, "CONCURRENT_REQUESTS_PER_DOMAIN": C, "DOWNLOAD_DELAY": 0,
    "ROBOTSTXT_OBEY": True, "AUTOTHROTTLE_ENABLED": False, "LOG_LEVEL": "ERROR", "TELNETCONSOLE_ENABLED": False,
    "USER_AGENT": "kiemtin-bench-scrapy/0.1", "COOKIES_ENABLED": False, "RETRY_ENABLED": True,
}})
p.crawl(Bench)
p.start()
print(json.dumps({{"ok": res["ok"], "seconds": res["t1"] - res["t0"],
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def run_script(python: str, code: str, timeout: float) -> dict | None:
    out = subprocess.run([python, "-c", code], capture_output=True, text=True, timeout=timeout, check=False)
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
    if out.returncode != 0 or not lines:
        print(f"  failed ({out.returncode}): {out.stderr.strip()[-800:]}", file=sys.stderr)
        return None
    return json.loads(lines[-1])


def scrapy_python() -> str | None:
    try:
        import scrapy  # noqa: F401

        return sys.executable
    except ImportError:
        pass
    venv = Path(tempfile.gettempdir()) / "kiemtin-bench-scrapy-venv"
    py = venv / "bin" / "python"
    if py.exists() and subprocess.run([str(py), "-c", "import scrapy"], capture_output=True).returncode == 0:
        return str(py)
    print("scrapy not importable: installing it into a throw-away venv at", venv, file=sys.stderr)
    shutil.rmtree(venv, ignore_errors=True)
    try:
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(py), "-m", "pip", "install", "-q", "scrapy"], check=True, timeout=600)
    except (subprocess.SubprocessError, OSError) as exc:
        print(f"could not install scrapy ({exc}); reporting null for it", file=sys.stderr)
        return None
    return str(py)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=10000)
    ap.add_argument("--concurrency", type=int, default=16)
    args = ap.parse_args()
    n, c = args.pages, args.concurrency
    q: mp.Queue = mp.Queue()
    server = mp.Process(target=serve, args=(q,), daemon=True)
    server.start()
    port = q.get(timeout=10)
    try:
        print(f"serving {n} pages on 127.0.0.1:{port}, concurrency {c}")
        k = run_script(sys.executable, KIEMTIN.format(root=str(ROOT), n=n, c=c, port=port), timeout=3600)
        k_rate = round(k["ok"] / k["seconds"], 1) if k else None
        print(f"kiemtin: {k}  -> {k_rate} pages/s")
        py = scrapy_python()
        s = run_script(py, SCRAPY.format(n=n, c=c, port=port), timeout=3600) if py else None
        s_rate = round(s["ok"] / s["seconds"], 1) if s else None
        print(f"scrapy:  {s}  -> {s_rate} pages/s")
        ratio = round(k_rate / s_rate, 3) if k_rate and s_rate else None
        print(f"ratio kiemtin/scrapy: {ratio}")
        print(
            json.dumps(
                {
                    "pages": n,
                    "kiemtin_pages_per_s": k_rate,
                    "scrapy_pages_per_s": s_rate,
                    "ratio": ratio,
                    "kiemtin_peak_mb": round(k["peak_mb"], 1) if k else None,
                }
            )
        )
    finally:
        server.terminate()
        server.join(5)
        os.environ.pop("_", None)


if __name__ == "__main__":
    main()
