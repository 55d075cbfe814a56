"""The client address behind a reverse proxy (settings.trusted_proxies): forwarding headers are believed only from
a trusted peer, and then only their right-most untrusted address; the login rate limit and the audit log use it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from starlette.datastructures import Headers
from web_support import add_user, login

from config import AppConfig, Settings
from review.web import create_app
from review.web.client_address import forwarded_client, trusted_networks
from review.web.security import RateLimit
from service.runtime import Runtime
from store.models import AuditEntry, LoginAttempt

TRUSTED = trusted_networks(["10.0.0.0/8", "fd00::/8"])
PROXY = "10.0.0.2"


def _client(peer: str, *lines: tuple[str, str], trusted: tuple = TRUSTED) -> str:
    headers = Headers(raw=[(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in lines])
    return forwarded_client(peer, headers, trusted)


def xff(value: str) -> tuple[str, str]:
    return ("X-Forwarded-For", value)


def fwd(value: str) -> tuple[str, str]:
    return ("Forwarded", value)


def test_headers_are_ignored_unless_the_peer_is_a_trusted_proxy() -> None:
    assert _client("203.0.113.7", xff("1.1.1.1")) == "203.0.113.7"  # spoofed by the client itself
    assert _client("203.0.113.7", fwd("for=1.1.1.1")) == "203.0.113.7"
    assert _client(PROXY, xff("1.1.1.1"), trusted=()) == PROXY  # nothing trusted: the default
    assert _client("testclient", xff("1.1.1.1")) == "testclient"  # a peer that is not an address
    assert _client(PROXY) == PROXY  # a trusted peer without headers is the client (a health check)


@pytest.mark.parametrize(("lines", "expected"), [
    ([xff("203.0.113.7")], "203.0.113.7"),
    ([xff("6.6.6.6, 203.0.113.7")], "203.0.113.7"),  # the left part is the client's to invent
    ([xff("6.6.6.6"), xff("203.0.113.7")], "203.0.113.7"),  # two header lines read as one list
    ([xff("6.6.6.6,203.0.113.7, 10.0.0.9 ,10.1.2.3")], "203.0.113.7"),  # through three proxies
    ([xff("10.0.0.9, 10.0.0.8")], "10.0.0.9"),  # only proxies: the first one
    ([xff("garbage, 203.0.113.7")], "203.0.113.7"),  # never read beyond the first untrusted hop
    ([xff("203.0.113.7:51234")], "203.0.113.7"),
    ([xff("::ffff:203.0.113.7")], "203.0.113.7"),
    ([xff("2001:DB8:0::7")], "2001:db8::7"),
    ([xff("[2001:db8::7]:443, fd00::5")], "2001:db8::7"),
    ([fwd("for=192.0.2.60;proto=https;by=10.0.0.2")], "192.0.2.60"),
    ([fwd('for=6.6.6.6, for="[2001:db8:cafe::17]:4711"')], "2001:db8:cafe::17"),
    ([fwd('For="192.0.2.60"'), fwd("for=10.0.0.7")], "192.0.2.60"),
    ([xff("203.0.113.7"), fwd("for=6.6.6.6")], "203.0.113.7"),  # X-Forwarded-For first
])
def test_a_trusted_proxy_names_the_client(lines: list[tuple[str, str]], expected: str) -> None:
    assert _client(PROXY, *lines) == expected


@pytest.mark.parametrize("lines", [
    [xff("")], [xff("unknown")], [xff("203.0.113.7, not-an-ip")], [xff("1.2.3.4.5")], [xff("203.0.113.7,")],
    [xff("<script>alert(1)</script>")], [xff("[2001:db8::7")], [xff("0x7f.1")],
    [fwd("for=unknown")], [fwd("for=_hidden")], [fwd("proto=https")], [fwd('for="192.0.2.60')],
    [fwd('for="6.6.6.6, for=203.0.113.7')], [fwd(";;;,,,")],
])
def test_unreadable_values_fall_back_to_the_peer(lines: list[tuple[str, str]]) -> None:
    assert _client(PROXY, *lines) == PROXY


def test_ipv6_peers_and_mapped_ipv4_peers() -> None:
    assert _client("fd00::2", xff("2001:db8::7")) == "2001:db8::7"
    assert _client("::ffff:10.0.0.2", xff("203.0.113.7")) == "203.0.113.7"  # a dual-stack socket
    assert _client("2001:db8::2", xff("203.0.113.7")) == "2001:db8::2"  # not trusted


# --- the real app: sign-in rate limit and audit log ---

@pytest.fixture
def proxied(database_url: str, tmp_path: Path) -> Iterator[Runtime]:
    runtime = Runtime.open(AppConfig(settings=Settings(database_url=database_url,
                                                       trusted_proxies=["10.0.0.0/8"])))  # type: ignore[arg-type]
    yield runtime
    runtime.close()


def _attempts(runtime: Runtime) -> list[tuple[str, str, bool]]:
    with runtime.db.session() as s:
        return [tuple(r) for r in s.execute(select(LoginAttempt.username, LoginAttempt.client, LoginAttempt.success)
                                            .order_by(LoginAttempt.id))]


def _audit_clients(runtime: Runtime) -> list[tuple[str, str]]:
    with runtime.db.session() as s:
        return [(e.action, e.details.get("client")) for e in s.scalars(
            select(AuditEntry).where(AuditEntry.action.startswith("auth.")).order_by(AuditEntry.id))]


def test_behind_a_trusted_proxy_one_attacker_does_not_block_everyone(proxied: Runtime) -> None:
    add_user(proxied.db, "ana")
    app = create_app(proxied, rate_limit=RateLimit(per_user=100, per_client=2))
    attacker = TestClient(app, client=(PROXY, 40000), headers={"X-Forwarded-For": "1.1.1.1, 203.0.113.66"})
    assert login(attacker, "ana", "wrong password!").status_code == 401
    assert login(attacker, "nobody", "wrong password!").status_code == 401
    assert login(attacker, "ana").status_code == 429  # this address is blocked...
    colleague = TestClient(app, client=(PROXY, 40001), headers={"X-Forwarded-For": "198.51.100.9"})
    assert login(colleague, "ana").status_code == 303  # ...the colleague behind the same proxy is not
    assert _attempts(proxied) == [("ana", "203.0.113.66", False), ("nobody", "203.0.113.66", False),
                                  ("ana", "198.51.100.9", True)]
    assert _audit_clients(proxied) == [("auth.login_failed", "203.0.113.66"), ("auth.login_failed", "203.0.113.66"),
                                       ("auth.login_blocked", "203.0.113.66"), ("auth.login", "198.51.100.9")]


def test_spoofed_headers_from_an_untrusted_peer_do_not_escape_the_limit(proxied: Runtime) -> None:
    add_user(proxied.db, "ana")
    app = create_app(proxied, rate_limit=RateLimit(per_user=100, per_client=2))
    for n in range(2):
        spoofer = TestClient(app, client=("203.0.113.66", 40000 + n), headers={"X-Forwarded-For": f"10.9.9.{n}",
                                                                                 "Forwarded": f"for=10.8.8.{n}"})
        assert login(spoofer, "ana", "wrong password!").status_code == 401
    again = TestClient(app, client=("203.0.113.66", 40009), headers={"X-Forwarded-For": "10.9.9.9"})
    assert login(again, "ana").status_code == 429
    assert {client for _, client, _ in _attempts(proxied)} == {"203.0.113.66"}


def test_without_trusted_proxies_forwarding_headers_are_ignored(database_url: str, tmp_path: Path) -> None:
    runtime = Runtime.open(AppConfig(settings=Settings(database_url=database_url)))  # type: ignore[arg-type]
    try:
        add_user(runtime.db, "ana")
        client = TestClient(create_app(runtime), client=(PROXY, 40000), headers={"X-Forwarded-For": "198.51.100.9"})
        assert login(client, "ana").status_code == 303
        assert _attempts(runtime) == [("ana", PROXY, True)]
        assert _audit_clients(runtime) == [("auth.login", PROXY)]
    finally:
        runtime.close()
