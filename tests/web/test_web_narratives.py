"""Narratives, alerts and the webhook delivery log on the pages."""

from __future__ import annotations

from builders import flag
from review.actors import CONSOLE_ACTOR
from review.webhooks import add_webhook
from service.narratives import check_spikes, rebuild_narratives
from service.runtime import Runtime
from service.webhooks import deliver_due
from web_support import csrf_of, signed_in

VACCINE = "Tin đồn: vắc xin gây vô sinh cho trẻ em, phụ huynh hoang mang chia sẻ khắp nơi lần {n}"


def test_the_narrative_pages_list_keywords_counts_items_and_alerts(runtime: Runtime) -> None:
    items = [flag(runtime.db, f"v{n}", text=VACCINE.format(n=n), source_name="nhom-a") for n in range(6)]
    rebuild_narratives(runtime)
    assert any(c.alerted for c in check_spikes(runtime))
    ana = signed_in(runtime, "ana")
    listing = ana.get("/narratives")
    assert listing.status_code == 200 and "trẻ em" in listing.text and 'href="/narratives/1"' in listing.text
    assert "6 posts in an hour" in listing.text and 'class="chart"' in listing.text
    page = ana.get("/narratives/1")
    assert page.status_code == 200 and f'href="/items/{items[0]}"' in page.text and "nhom-a" in page.text
    assert ana.get("/narratives/99").status_code == 404
    assert 'id="dashboard-narratives"' in ana.get("/").text
    assert ana.get("/admin/webhooks").status_code == 403


def test_admins_add_webhooks_and_read_the_delivery_log(runtime: Runtime) -> None:
    ada = signed_in(runtime, "ada", "admin")
    refused = ada.post("/admin/webhooks", data={"csrf_token": csrf_of(ada), "url": "http://localhost:9/x",
                                                "events": "item.flagged"})
    assert refused.status_code == 422 and "webhook URL" in refused.text
    add_webhook(runtime.db, CONSOLE_ACTOR, url="http://127.0.0.1:9/closed", events=["item.flagged"],
                allow_networks=["127.0.0.0/8"])
    flag(runtime.db, "p1")
    assert deliver_due(runtime).retrying == 1  # nothing listens on port 9: the failure is logged
    log = ada.get("/admin/webhooks").text
    assert "item.flagged" in log and "ConnectError" in log and "pending" in log
