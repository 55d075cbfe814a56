"""The Health page with a broker configured: queue depths, the workers that answer, database size."""

from __future__ import annotations

from builders import source
from service.dispatch import Dispatcher
from service.runtime import Runtime
from web_support import signed_in


def test_health_page_shows_queues_workers_and_storage(queued_runtime: Runtime):
    rt = queued_runtime
    Dispatcher(rt).crawl(rt, source(rt.db, "nguon"), "run-now")
    page = signed_in(rt, "olga", "operator").get("/health")
    assert page.status_code == 200
    workers = page.text.split('id="workers"', 1)[1]
    assert 'data-queue="crawl"><td>crawl</td><td>1</td>' in workers and "No worker answers" in workers
    assert 'id="storage"' in page.text and "Database size" in page.text


def test_health_page_without_a_broker_says_so(runtime: Runtime):
    page = signed_in(runtime, "olga", "operator").get("/health")
    assert page.status_code == 200 and "No broker is configured" in page.text
