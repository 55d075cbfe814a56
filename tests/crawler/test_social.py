# ruff: noqa: E501
"""Mastodon, Bluesky and Telegram adapters against a local server replaying recorded payloads."""

from __future__ import annotations

import json
from dataclasses import replace
from urllib.parse import parse_qs, urlsplit

import pytest

from crawler import AuthRequired, MemoryValidatorStore, ParseError, SourceSpec, crawl, validate_source_options
from crawler.telegram import parse_count
from crawlkit import FIXTURES, Resp, collect, crawl_all, last_cursor, run

# ---------------------------------------------------------------- Mastodon


class FakeMastodon:
    """Serves recorded statuses with Mastodon's max_id / since_id / limit semantics and Link headers."""

    def __init__(self, server, visible: int):
        self.server = server
        self.all = json.loads((FIXTURES / "mastodon/statuses.json").read_text("utf-8"))
        self.visible = visible  # how many of the recorded statuses exist "now"

    def __call__(self, hit):
        q = {k: v[0] for k, v in parse_qs(urlsplit(hit.path).query).items()}
        limit = int(q.get("limit", 20))
        sts = sorted(self.all[: self.visible], key=lambda s: int(s["id"]), reverse=True)
        if "max_id" in q:
            sts = [s for s in sts if int(s["id"]) < int(q["max_id"])]
        if "since_id" in q:
            sts = [s for s in sts if int(s["id"]) > int(q["since_id"])]
        page = sts[:limit]
        headers = {}
        if page:
            base = urlsplit(hit.path).path
            nxt = f"{self.server.url(base)}?limit={limit}&max_id={page[-1]['id']}"
            prev = f"{self.server.url(base)}?limit={limit}&min_id={page[0]['id']}"
            headers["Link"] = f'<{nxt}>; rel="next", <{prev}>; rel="prev"'
        return Resp(body=json.dumps(page), content_type="application/json; charset=utf-8", headers=headers)


def _masto(server, **opts):
    options = {"timeline": "tag", "tag": "covid19", "limit": 10, "max_pages": 3, **opts}
    return SourceSpec(name="masto", kind="mastodon", url=server.url(""), options=options)


def test_mastodon_pages_then_incremental_run(server, settings):
    fake = FakeMastodon(server, visible=40)
    server.routes["/api/v1/timelines/tag/covid19"] = fake
    first = crawl_all(_masto(server), settings)
    ids = [p.extra["status_id"] for pg in first for p in pg.posts]
    assert len(first) == 3  # first run ever stops at max_pages
    assert len(ids) == len(set(ids)) == 30  # the boost (index 5) is older than the 30 newest
    p = first[0].posts[0]
    assert p.platform == "mastodon" and p.author_handle == "tintuc@mastodon.example"
    assert "#covid19" in p.text and "<p>" not in p.text
    assert p.like_count is not None and p.share_count is not None and p.language == "vi"
    cur = last_cursor(first)
    assert cur["run"] is None
    fake.visible = 55  # 15 new statuses arrived
    second = crawl_all(_masto(server), settings, cursor=cur)
    new = [p.extra["status_id"] for pg in second for p in pg.posts]
    assert len(new) == 15 and not set(new) & set(ids)
    assert all("since_id=" in h.path for h in server.hits_for("/api/v1/timelines/tag/covid19")[-2:])
    third = crawl_all(_masto(server), settings, cursor=last_cursor(second, cur))
    assert [p for pg in third for p in pg.posts] == []


def test_mastodon_anonymous_access_disabled(server, settings):
    server.routes["/api/v1/timelines/public"] = Resp(
        401, (FIXTURES / "mastodon/unauthorized.json").read_bytes(), content_type="application/json"
    )
    with pytest.raises(AuthRequired) as exc:
        crawl_all(_masto(server, timeline="public"), settings)
    assert "anonymous" in str(exc.value)


def test_mastodon_malformed_json(server, settings):
    server.routes["/api/v1/timelines/tag/covid19"] = Resp(
        body='[{"id": "1", ', content_type="application/json"
    )
    with pytest.raises(ParseError) as exc:
        crawl_all(_masto(server), settings)
    assert "malformed JSON" in str(exc.value)


def test_mastodon_options_validation():
    with pytest.raises(ValueError, match="needs option 'tag'"):
        validate_source_options("mastodon", {"timeline": "tag"})
    with pytest.raises(ValueError, match="unknown option"):
        validate_source_options("mastodon", {"timeline": "public", "hashtag": "x"})
    with pytest.raises(ValueError, match="unknown source kind"):
        validate_source_options("facebook", {})
    validate_source_options("mastodon", {"timeline": "account", "account_id": "109"})


# ---------------------------------------------------------------- Bluesky


def _bsky_handler(items):
    def handler(hit):
        q = {k: v[0] for k, v in parse_qs(urlsplit(hit.path).query).items()}
        limit = int(q.get("limit", 50))
        start = int(q.get("cursor", 0))
        page = items[start : start + limit]
        body = {"feed": page}
        if start + limit < len(items):
            body["cursor"] = str(start + limit)
        return Resp(body=json.dumps(body), content_type="application/json")

    return handler


def test_bluesky_author_feed_skips_reposts_and_pins_and_is_incremental(server, settings):
    feed = json.loads((FIXTURES / "bluesky/author_feed.json").read_text("utf-8"))
    pinned = dict(feed[-1], reason={"$type": "app.bsky.feed.defs#reasonPin"})
    repost = dict(feed[3], reason={"$type": "app.bsky.feed.defs#reasonRepost"})
    older = feed[10:]
    server.routes["/xrpc/app.bsky.feed.getAuthorFeed"] = _bsky_handler(
        [pinned, *older[:3], repost, *older[3:]]
    )
    spec = SourceSpec(
        name="b",
        kind="bluesky",
        url=server.url(""),
        options={"actor": "tintuc.bsky.social", "limit": 8, "max_pages": 10},
    )
    first = crawl_all(spec, settings)
    got = [p.external_id for pg in first for p in pg.posts]
    assert len(got) == len(set(got)) == 20
    assert first[0].posts[0].url.startswith("https://bsky.app/profile/tintuc.bsky.social/post/")
    server.routes["/xrpc/app.bsky.feed.getAuthorFeed"] = _bsky_handler([pinned, *feed])
    second = crawl_all(spec, settings, cursor=last_cursor(first))
    new = [p.external_id for pg in second for p in pg.posts]
    assert len(new) == 10 and not set(new) & set(got)


def test_bluesky_search_is_refused_with_a_clear_message():
    with pytest.raises(ValueError, match="requires an authenticated session"):
        validate_source_options("bluesky", {"actor": "x.bsky.social", "search": "covid"})


# ---------------------------------------------------------------- Telegram

MSG = """<div class="tgme_widget_message_wrap js-widget_message_wrap"><div class="tgme_widget_message text_not_supported_wrap js-widget_message" data-post="tintucvn/{id}" data-view="x">
<div class="tgme_widget_message_bubble"><div class="tgme_widget_message_author accent_color"><a class="tgme_widget_message_owner_name" href="https://t.me/tintucvn"><span dir="auto">Tin Tức VN</span></a></div>
<div class="tgme_widget_message_text js-message_text" dir="auto">{html}</div>
<div class="tgme_widget_message_footer compact js-message_footer"><div class="tgme_widget_message_info short js-message_info">
<span class="tgme_widget_message_views">{views}</span><span class="copyonclick">&nbsp;</span>
<span class="tgme_widget_message_meta"><a class="tgme_widget_message_date" href="https://t.me/tintucvn/{id}"><time datetime="{datetime}" class="time">10:00</time></a></span>
</div></div></div></div></div>"""


class FakeTelegram:
    def __init__(self, server, visible: int, per_page: int = 8):
        self.msgs = json.loads((FIXTURES / "telegram/messages.json").read_text("utf-8"))
        self.visible = visible
        self.per_page = per_page

    def __call__(self, hit):
        q = {k: v[0] for k, v in parse_qs(urlsplit(hit.path).query).items()}
        msgs = self.msgs[: self.visible]
        if "before" in q:
            msgs = [m for m in msgs if m["id"] < int(q["before"])]
        page = msgs[-self.per_page :]
        more = ""
        if page and page[0]["id"] > self.msgs[0]["id"]:
            more = (
                f'<a href="/s/tintucvn?before={page[0]["id"]}" class="tme_messages_more js-messages_more" '
                f'data-before="{page[0]["id"]}"></a>'
            )
        body = (
            '<!DOCTYPE html><html><head><meta charset="utf-8"></head><body><div class="tgme_channel_info">'
            '</div><section class="tgme_channel_history js-message_history">'
            + more
            + "".join(MSG.format(**m) for m in page)
            + "</section></body></html>"
        )
        return Resp(body=body)


def _tg(server, **opts):
    return SourceSpec(
        name="tg", kind="telegram", url=server.url("/s/tintucvn"), options={"max_pages": 3, **opts}
    )


def test_telegram_pages_views_and_end_of_history(server, settings):
    server.routes["/s/tintucvn"] = FakeTelegram(server, visible=20)
    pages = crawl_all(_tg(server, max_pages=10), settings)
    ids = [p.external_id for pg in pages for p in pg.posts]
    assert len(ids) == len(set(ids)) == 20  # 8 + 8 + 4, then no "more" link: end of history
    assert ids[0] == "tintucvn/119" and ids[-1] == "tintucvn/100"
    views = {p.external_id: p.view_count for pg in pages for p in pg.posts}
    assert views["tintucvn/101"] == 4850 and views["tintucvn/103"] == 1_200_000
    assert pages[0].posts[0].url == "https://t.me/tintucvn/119"
    assert last_cursor(pages)["done_upto"] == 119


def test_kill_after_first_page_then_restart_loses_and_duplicates_nothing(server, settings):
    fake = FakeTelegram(server, visible=40)
    server.routes["/s/tintucvn"] = fake
    spec = _tg(server, max_pages=10)
    # run 1 completes over the first 16 messages (floor = 115 after a first run of 2 pages)
    fake.visible = 16
    first = crawl_all(_tg(server, max_pages=2), settings)
    stored = [p.external_id for pg in first for p in pg.posts]
    cursor = last_cursor(first)
    fake.visible = 40  # 24 new messages: 3 pages of 8

    async def killed_after_page_one():
        agen = crawl(spec, settings=settings, cursor=cursor, validators=MemoryValidatorStore())
        page = await agen.__anext__()
        await agen.aclose()  # the process dies here, after storing page 1 and its cursor
        return page

    page1 = run(killed_after_page_one())
    stored += [p.external_id for p in page1.posts]
    cursor = page1.cursor
    assert cursor["run"] is not None
    rest = run(collect(spec, settings, cursor=cursor))
    stored += [p.external_id for pg in rest for p in pg.posts]
    assert len(stored) == len(set(stored)) == 40
    assert last_cursor(rest)["done_upto"] == 139 and last_cursor(rest)["run"] is None


def test_telegram_channel_without_preview_is_a_clear_error(server, settings):
    server.routes["/s/tintucvn"] = Resp(302, headers={"Location": "/tintucvn"})
    server.routes["/tintucvn"] = Resp(body="<html><body>Join channel</body></html>")
    with pytest.raises(AuthRequired) as exc:
        crawl_all(_tg(server), settings)
    assert "no public web preview" in str(exc.value)


def test_telegram_malformed_html(server, settings):
    server.routes["/s/tintucvn"] = Resp(body="<html><body><p>Maintenance</p></body></html>")
    with pytest.raises(ParseError, match="not a Telegram channel preview"):
        crawl_all(_tg(server), settings)


@pytest.mark.parametrize(
    ("text", "value"), [("987", 987), ("4.85K", 4850), ("12.3K", 12300), ("1.2M", 1200000)]
)
def test_view_counts(text, value):
    assert parse_count(text) == value


def test_first_run_respects_max_pages(server, settings):
    server.routes["/s/tintucvn"] = FakeTelegram(server, visible=40)
    pages = crawl_all(_tg(server, max_pages=2), replace(settings, max_pages=99))
    assert len(pages) == 2 and last_cursor(pages) == {"done_upto": 139, "run": None}
