"""The SSRF allow-list: check_source_url on literals (no DNS), and the Fetcher's guard with allow_networks, against
the real local server and a resolver the test controls (nothing outside 127.0.0.0/8 is ever connected to)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from crawler import BlockedAddress, CrawlSettings, Fetcher, check_source_url
from crawler.netguard import METADATA_ADDRESSES, AddressPolicy
from crawlkit import LocalServer, Resp, run


@pytest.mark.parametrize(("url", "shown"), [
    ("http://127.0.0.1/feed", "127.0.0.1 is a non-public"),
    ("http://10.0.0.5:8080/rss", "10.0.0.5 is a non-public"),
    ("http://192.168.1.1/", "192.168.1.1 is a non-public"),
    ("http://100.64.0.1/", "100.64.0.1 is a non-public"),  # CGNAT
    ("http://0.0.0.0/", "0.0.0.0 is a non-public"),
    ("http://[::1]/", "::1 is a non-public"),
    ("http://[fe80::1%25eth0]/", "is a non-public"),
    ("http://[::ffff:127.0.0.1]/", "::ffff:127.0.0.1 is a non-public"),  # IPv4-mapped IPv6
    ("http://[::ffff:7f00:1]/", "::ffff:7f00:1 is a non-public"),
    ("http://[2002:7f00:1::]/", "is a non-public"),  # 6to4 around 127.0.0.1
    ("http://2130706433/", "2130706433 (that is 127.0.0.1)"),  # decimal
    ("http://0x7f000001/", "0x7f000001 (that is 127.0.0.1)"),  # hex
    ("http://0x7f.1/", "0x7f.1 (that is 127.0.0.1)"),
    ("http://0177.0.0.1/", "0177.0.0.1 (that is 127.0.0.1)"),  # octal
    ("http://127.1/", "127.1 (that is 127.0.0.1)"),  # short form
    ("http://012.0x0.0.01/", "(that is 10.0.0.1)"),
    ("http://0/", "(that is 0.0.0.0)"),
    ("http://127.0.0.1./", "127.0.0.1. (that is 127.0.0.1)"),  # final dot
    ("http://%31%32%37.0.0.1/", "(that is 127.0.0.1)"),  # percent-encoded
    ("http://\uff11\uff12\uff17.0.0.1/", "(that is 127.0.0.1)"),  # full-width digits (IDNA maps them)
    ("http://localhost:8000/", "localhost is this machine"),
    ("http://LocalHost./", "is this machine"),
    ("http://api.localhost/", "api.localhost is this machine"),
    ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a cloud metadata address"),
    ("http://[fd00:ec2::254]/", "fd00:ec2::254 is a cloud metadata address"),
    ("http://[::ffff:169.254.169.254]/", "is a cloud metadata address"),
    ("http://100.100.100.200/", "100.100.100.200 is a cloud metadata address"),
    ("http://metadata.google.internal/computeMetadata/v1/", "is a cloud metadata service"),
    ("http://instance-data/latest/", "is a cloud metadata service"),
    ("http://256.0.0.1/", "looks like an IP address but is not one"),
    ("http://1.2.3.4.5/", "looks like an IP address but is not one"),
    ("http:///feed", "names no host"),
    ("http://[::1/", "cannot be read"),
])
def test_source_url_naming_an_internal_address_is_refused(url: str, shown: str) -> None:
    with pytest.raises(BlockedAddress) as info:
        check_source_url(url)
    assert info.value.message.startswith("refusing to add: ") and shown in info.value.message
    assert info.value.url == url


@pytest.mark.parametrize("url", [
    "https://vnexpress.net/rss/tin-moi-nhat.rss",
    "http://93.184.216.34/feed",
    "http://[2606:2800:220:1::1]/",
    "https://t.me/s/channel",
    "http://8.8.8.8.example/",  # a name; where it points is checked when crawled
    "http://localhost.example.org/",  # not *.localhost
    "http://0x7f.example/",  # a name whose first label looks like a number
])
def test_public_and_named_sources_pass(url: str) -> None:
    check_source_url(url)


def test_allowed_networks_let_their_literals_through_but_never_metadata() -> None:
    allowed = ["127.0.0.0/8", "::1/128", "169.254.0.0/16", "fd00::/8"]
    for url in ("http://127.0.0.1:8000/", "http://2130706433/", "http://localhost/", "http://[::ffff:127.0.0.1]/",
                "http://169.254.1.1/"):
        check_source_url(url, allowed)
    for url in ("http://169.254.169.254/", "http://169.254.170.2/v2/credentials", "http://[fd00:ec2::254]/"):
        with pytest.raises(BlockedAddress, match="cloud metadata address .refused even when allow_networks"):
            check_source_url(url, allowed)
    with pytest.raises(BlockedAddress, match=r"allow_networks must contain 127\.0\.0\.1 and ::1"):
        check_source_url("http://localhost/", ["127.0.0.0/8"])  # localhost may be ::1 too


def test_policy_unwraps_ipv6_forms_of_metadata_addresses() -> None:
    policy = AddressPolicy(["::/0", "0.0.0.0/0"])  # everything allowed ...
    assert policy.refusal("10.0.0.1") is None
    for addr in ("169.254.169.254", "::ffff:169.254.169.254", "64:ff9b::a9fe:a9fe", "2002:a9fe:a9fe::1"):
        assert policy.refusal(addr) == "cloud metadata", addr  # ... except metadata services
    assert all(policy.refusal(str(ip)) == "cloud metadata" for ip in METADATA_ADDRESSES)


def _fetch(settings: CrawlSettings, url: str, answers: dict[str, list[str]] | None = None) -> None:
    async def dns(host: str, port: int) -> list[str]:
        return (answers or {})[host]

    async def go() -> None:
        async with Fetcher(settings, resolve=dns) as f:
            await f.get(url)

    run(go())


def test_fetcher_reaches_only_the_allowed_loopback_address(server: LocalServer, settings: CrawlSettings) -> None:
    server.routes["/"] = Resp(body="<html>ok</html>")
    only_one = replace(settings, allow_networks=("127.0.0.1/32",))
    _fetch(only_one, server.url("/"))
    assert [h.path for h in server.hits] == ["/robots.txt", "/"]
    with pytest.raises(BlockedAddress, match="127.0.0.2 is a non-public address .add its network to allow_networks"):
        _fetch(only_one, f"http://127.0.0.2:{server.port}/")
    with pytest.raises(BlockedAddress, match="feed.example resolves to non-public address 10.1.2.3"):
        _fetch(only_one, f"http://feed.example:{server.port}/", {"feed.example": ["127.0.0.1", "10.1.2.3"]})
    assert len(server.hits) == 2


def test_fetcher_refuses_metadata_even_inside_an_allowed_network(server: LocalServer, settings: CrawlSettings) -> None:
    link_local = replace(settings, allow_networks=("169.254.0.0/16", "127.0.0.0/8"))
    with pytest.raises(BlockedAddress, match="169.254.169.254 is a cloud metadata address"):
        _fetch(link_local, "http://169.254.169.254/latest/meta-data/")  # refused before any connection
    with pytest.raises(BlockedAddress, match="resolves to cloud metadata address 169.254.169.254"):
        _fetch(link_local, f"http://meta.example:{server.port}/", {"meta.example": ["169.254.169.254"]})
    with pytest.raises(BlockedAddress, match="metadata.google.internal is a cloud metadata service"):
        _fetch(link_local, "http://metadata.google.internal/computeMetadata/v1/")
    assert server.hits == []


def test_redirect_to_a_metadata_address_is_refused(server: LocalServer, settings: CrawlSettings) -> None:
    server.routes["/go"] = Resp(302, headers={"Location": "http://169.254.169.254/latest/meta-data/"})
    with pytest.raises(BlockedAddress, match="cloud metadata address"):
        _fetch(replace(settings, allow_networks=("127.0.0.0/8", "169.254.0.0/16")), server.url("/go"))
    assert [h.path for h in server.hits] == ["/robots.txt", "/go"]
