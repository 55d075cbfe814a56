"""The client address and scheme behind a reverse proxy (settings.trusted_proxies): forwarding headers are believed
only from a trusted peer, and then only their right-most untrusted address; the login rate limit and the audit log
use it. A trusted proxy's X-Forwarded-Proto / Forwarded proto=https makes cookies Secure and redirects https."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from starlette.datastructures import Headers

from config import AppConfig, Settings
from service.runtime import Runtime
from store.models import AuditEntry, LoginAttempt
from web import create_app
from web.client_address import forwarded_client, forwarded_scheme, trusted_networks
from web.security import LOGIN_CSRF_COOKIE, SESSION_COOKIE, RateLimit
from web_support import PASSWORD, add_user, login

TRUSTED = trusted_networks(["10.0.0.0/8", "fd00::/8"])
PROXY = "10.0.0.2"


def _client(peer: str, *lines: tuple[str, str], trusted: tuple = TRUSTED) -> str:
    headers = Headers(raw=[(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in lines])
    return forwarded_client(peer, headers, trusted)


def _scheme(peer: str, *lines: tuple[str, str], scheme: str = "http", trusted: tuple = TRUSTED) -> str:
    headers = Headers(raw=[(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in lines])
    return forwarded_scheme(scheme, peer, headers, trusted)


def xff(value: str) -> tuple[str, str]:
    return ("X-Forwarded-For", value)


def fwd(value: str) -> tuple[str, str]:
    return ("Forwarded", value)


def xfp(value: str) -> tuple[str, str]:
    return ("X-Forwarded-Proto", value)


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


@pytest.mark.parametrize(("peer", "lines", "trusted", "expected"), [
    ("203.0.113.7", [xfp("https")], TRUSTED, "http"),  # spoofed by the client itself
    ("203.0.113.7", [fwd("proto=https")], TRUSTED, "http"),
    (PROXY, [xfp("https")], (), "http"),  # nothing trusted: the default
    ("testclient", [xfp("https")], TRUSTED, "http"),
    (PROXY, [], TRUSTED, "http"),
    (PROXY, [xfp("https")], TRUSTED, "https"),
    ("fd00::2", [xfp(" HTTPS ")], TRUSTED, "https"),
    ("::ffff:10.0.0.2", [xfp("https")], TRUSTED, "https"),
    (PROXY, [xfp("http, https")], TRUSTED, "https"),  # the last value is the proxy's
    (PROXY, [xfp("https"), xfp("http")], TRUSTED, "http"),
    (PROXY, [xfp("wss")], TRUSTED, "http"),
    (PROXY, [xfp("<script>")], TRUSTED, "http"),
    (PROXY, [fwd("for=192.0.2.60;proto=https;by=10.0.0.2")], TRUSTED, "https"),
    (PROXY, [fwd('for=6.6.6.6;proto=http, for=192.0.2.60;Proto="https"')], TRUSTED, "https"),
    (PROXY, [fwd("for=192.0.2.60;proto=https, for=10.0.0.7")], TRUSTED, "http"),  # the last element has none
    (PROXY, [fwd('proto="https')], TRUSTED, "http"),  # unreadable
    (PROXY, [xfp("http"), fwd("proto=https")], TRUSTED, "http"),  # X-Forwarded-Proto first
])
def test_a_trusted_proxy_names_the_scheme(peer: str, lines: list[tuple[str, str]], trusted: tuple,
                                          expected: str) -> None:
    assert _scheme(peer, *lines, trusted=trusted) == expected


def test_an_https_connection_stays_https() -> None:
    assert _scheme(PROXY, xfp("http"), scheme="https") == "https"
    assert _scheme("203.0.113.7", scheme="https") == "https"


# --- the real app: sign-in rate limit and audit log ---

@pytest.fixture
def proxied(database_url: str, tmp_path: Path) -> Iterator[Runtime]:
    runtime = Runtime.open(AppConfig(settings=Settings(ui_language="en", database_url=database_url,
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
    runtime = Runtime.open(AppConfig(settings=Settings(ui_language="en", database_url=database_url)))  # type: ignore[arg-type]
    try:
        add_user(runtime.db, "ana")
        client = TestClient(create_app(runtime), client=(PROXY, 40000), headers={"X-Forwarded-For": "198.51.100.9"})
        assert login(client, "ana").status_code == 303
        assert _attempts(runtime) == [("ana", PROXY, True)]
        assert _audit_clients(runtime) == [("auth.login", PROXY)]
    finally:
        runtime.close()


# --- Secure cookies and redirects behind a TLS-terminating proxy ---

def _cookie_lines(response: object) -> dict[str, str]:
    """The response's Set-Cookie lines by cookie name."""
    lines = response.headers.get_list("set-cookie")  # type: ignore[attr-defined]
    return {line.partition("=")[0]: line for line in lines}


def _secure(line: str) -> bool:
    return "secure" in [part.strip().lower() for part in line.split(";")]


def _sign_in_cookies(client: TestClient) -> tuple[str, str]:
    """Sign ana in by hand (the test client keeps Secure cookies to itself over http); the Set-Cookie lines of
    the login-CSRF cookie and of the session cookie."""
    page = client.get("/login")
    csrf_line = _cookie_lines(page)[LOGIN_CSRF_COOKIE]
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    client.cookies.clear()
    response = client.post("/login", data={"username": "ana", "password": PASSWORD, "csrf_token": token},
                           headers={"Cookie": f"{LOGIN_CSRF_COOKIE}={token}"}, follow_redirects=False)
    assert response.status_code == 303, response.text
    return csrf_line, _cookie_lines(response)[SESSION_COOKIE]


@pytest.mark.parametrize("header", [xfp("https"), fwd("for=198.51.100.9;proto=https")])
def test_a_trusted_proxys_https_makes_cookies_secure(proxied: Runtime, header: tuple[str, str]) -> None:
    add_user(proxied.db, "ana")
    client = TestClient(create_app(proxied), client=(PROXY, 40000), headers=dict([header]))
    csrf_line, session_line = _sign_in_cookies(client)
    assert _secure(csrf_line) and _secure(session_line)
    assert "HttpOnly" in session_line and "HttpOnly" in csrf_line
    moved = client.get("/queue/?status=open", follow_redirects=False)  # redirects are relative: no host, no scheme
    assert moved.status_code == 308 and moved.headers["location"] == "/queue?status=open"


@pytest.mark.parametrize(("peer", "trusted"), [("203.0.113.66", ["10.0.0.0/8"]), (PROXY, [])])
def test_a_spoofed_https_changes_nothing(database_url: str, peer: str, trusted: list[str]) -> None:
    """From a peer that is not a trusted proxy (or with none configured) the headers are the client's words."""
    runtime = Runtime.open(AppConfig(settings=Settings(ui_language="en", database_url=database_url,
                                                       trusted_proxies=trusted)))  # type: ignore[arg-type]
    try:
        add_user(runtime.db, "ana")
        client = TestClient(create_app(runtime), client=(peer, 40000),
                            headers={"X-Forwarded-Proto": "https", "Forwarded": "proto=https"})
        csrf_line, session_line = _sign_in_cookies(client)
        assert not _secure(csrf_line) and not _secure(session_line)
        moved = client.get("/queue/", follow_redirects=False)
        assert moved.headers["location"] == "/queue"
    finally:
        runtime.close()


def test_a_trusted_proxy_saying_http_and_an_https_connection(proxied: Runtime) -> None:
    add_user(proxied.db, "ana")
    client = TestClient(create_app(proxied), client=(PROXY, 40000), headers={"X-Forwarded-Proto": "http"})
    csrf_line, session_line = _sign_in_cookies(client)
    assert not _secure(csrf_line) and not _secure(session_line)
    direct = TestClient(create_app(proxied), base_url="https://testserver", client=(PROXY, 40001))
    assert _secure(_sign_in_cookies(direct)[1])  # an https connection is https whatever a proxy says


def test_redirects_never_use_the_request_host(runtime: Runtime) -> None:
    client = TestClient(create_app(runtime))
    for path, expected in (("/queue/", "/queue"), ("//evil.example/", "/evil.example"),
                           ("/exports//", "/exports")):
        moved = client.get(f"http://testserver{path}", headers={"Host": "evil.example"}, follow_redirects=False)
        assert moved.status_code == 308 and moved.headers["location"] == expected, path
    assert "evil" not in client.get("/", headers={"Host": "evil.example"}, follow_redirects=False).headers["location"]
