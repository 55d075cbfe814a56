"""The Health page with a broker configured: queue depths, the workers that answer, database size."""

from __future__ import annotations

import pytest

from builders import source
from redis_kit import shared_redis_or_skip, unique_prefix
from service.dispatch import Dispatcher
from service.runtime import Runtime
from service.tasks import configure
from web_support import signed_in


@pytest.fixture
def queued_runtime(runtime: Runtime):
    url = shared_redis_or_skip()
    with unique_prefix(url) as prefix:
        config = runtime.config.model_copy(deep=True)
        config.settings.broker_url, config.settings.redis_key_prefix = url, prefix
        configure(config)
        yield Runtime(config=config, db=runtime.db)


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
