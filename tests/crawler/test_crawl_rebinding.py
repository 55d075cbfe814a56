"""The SSRF guard holds when connecting: DNS rebinding, IPv6 forms, mixed answers, TLS by name.

A resolver the test controls stands in for DNS (``Fetcher(resolve=...)`` / ``GuardedBackend(resolve=...)``);
everything else is real: httpx, httpcore, sockets and a server on 127.0.0.1 whose accepted TCP
connections are counted.
"""

from __future__ import annotations

import asyncio
import shutil
import socket
import ssl
import subprocess
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from crawler import BlockedAddress, CrawlSettings, Fetcher, FetchError
from crawler.netguard import AddressPolicy, GuardedBackend, is_public_address
from crawler.transport import ShardedTransport
from crawlkit import LOOPBACK, LocalServer, Resp, run

PUBLIC = "93.184.216.34"


class Dns:
    """Answers per name, in order (the last one repeats); records every answer it gave."""

    def __init__(self, answers: dict[str, list[list[str]]]) -> None:
        self.answers = {name: list(seq) for name, seq in answers.items()}
        self.log: list[tuple[str, list[str]]] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        seq = self.answers.get(host)
        if seq is None:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        answer = seq.pop(0) if len(seq) > 1 else seq[0]
        self.log.append((host, answer))
        return answer


@pytest.fixture
def accepts(server: LocalServer, monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """TCP connections the local server accepted (socketserver calls verify_request for each)."""
    seen: list[object] = []

    def verify(request: object, client_address: object) -> bool:
        seen.append(client_address)
        return True

    monkeypatch.setattr(server.httpd, "verify_request", verify)
    return seen


async def _fetch(settings: CrawlSettings, url: str, dns: Dns | None = None) -> httpx.Headers:
    kw = {"resolve": dns} if dns is not None else {}
    async with Fetcher(settings, **kw) as f:
        return (await f.get(url)).headers


async def _raw_get(backend: GuardedBackend, url: str) -> int:
    """One GET through a ShardedTransport on ``backend``, without the Fetcher's pre-check."""
    transport = ShardedTransport(shards=1, connections_per_shard=1, network_backend=backend)
    async with httpx.AsyncClient(transport=transport) as client:
        return (await client.get(url)).status_code


@pytest.mark.parametrize("obey_robots", [False, True])
def test_rebinding_to_loopback_is_refused_when_connecting(
    server: LocalServer, accepts: list[object], settings: CrawlSettings, obey_robots: bool
) -> None:
    server.routes["/"] = Resp(body="<html>internal</html>")
    strict = replace(settings, allow_networks=(), obey_robots=obey_robots)
    # public for every pre-check (the page, then robots.txt when obeyed), 127.0.0.1 when connecting
    dns = Dns({"rebind.example": [[PUBLIC]] * (2 if obey_robots else 1) + [["127.0.0.1"]]})
    url = f"http://rebind.example:{server.port}/"
    with pytest.raises(BlockedAddress) as exc:
        run(_fetch(strict, url, dns))
    assert exc.value.message.startswith("refusing to connect: rebind.example resolves to non-public address 127.0.0.1")
    assert exc.value.url == url  # the page is reported blocked (not "robots.txt unavailable")
    assert [answer for _, answer in dns.log][:-1] == [[PUBLIC]] * (len(dns.log) - 1)  # pre-checks passed
    assert dns.log[-1] == ("rebind.example", ["127.0.0.1"])  # no retry: refused once, for good
    assert server.hits == [] and accepts == []


def test_allowed_network_connects_to_the_resolved_address_with_the_original_host(
    server: LocalServer, accepts: list[object], settings: CrawlSettings
) -> None:
    server.routes["/"] = Resp(body="<html>ok</html>")
    dns = Dns({"lan.example": [["127.0.0.1"]]})
    headers = run(_fetch(settings, f"http://lan.example:{server.port}/", dns))
    assert headers["content-type"].startswith("text/html")
    assert [h.headers["host"] for h in server.hits] == [f"lan.example:{server.port}"] * 2  # robots.txt, page
    # the allow-list is checked before each hop (robots.txt, page) and again for each connection, by our resolver
    assert accepts and len(dns.log) == 2 + len(accepts)
    assert all(entry == ("lan.example", ["127.0.0.1"]) for entry in dns.log)


@pytest.mark.parametrize("host", ["[::1]", "[::ffff:127.0.0.1]", "[::ffff:7f00:1]", "127.0.0.1", "0.0.0.0"])
def test_literal_internal_addresses_are_refused_by_the_backend(
    server: LocalServer, accepts: list[object], host: str
) -> None:
    with pytest.raises(BlockedAddress) as exc:
        run(_raw_get(GuardedBackend(), f"http://{host}:{server.port}/"))
    assert f"{host.strip('[]')} is a non-public address" in exc.value.message
    assert server.hits == [] and accepts == []


def test_ipv4_mapped_loopback_reaches_the_server_when_allowed(
    server: LocalServer, accepts: list[object]
) -> None:
    """The refusal above is not vacuous: ::ffff:127.0.0.1 is a way into 127.0.0.1."""
    server.routes["/"] = Resp(body="ok")
    try:
        status = run(_raw_get(GuardedBackend(policy=AddressPolicy(LOOPBACK)), f"http://[::ffff:127.0.0.1]:{server.port}/"))
    except httpx.ConnectError as exc:
        pytest.skip(f"no IPv4-mapped IPv6 sockets here: {exc}")
    assert status == 200 and len(accepts) == 1


@pytest.mark.parametrize("url_host", ["[::1]", "[::ffff:127.0.0.1]"])
def test_fetcher_refuses_ipv6_literals_before_connecting(
    server: LocalServer, accepts: list[object], settings: CrawlSettings, url_host: str
) -> None:
    strict = replace(settings, allow_networks=())
    with pytest.raises(BlockedAddress) as exc:
        run(_fetch(strict, f"http://{url_host}:{server.port}/"))
    assert url_host.strip("[]") in str(exc.value)
    assert server.hits == [] and accepts == []


@pytest.mark.parametrize(
    "answer",
    [[PUBLIC, "127.0.0.1"], ["127.0.0.1", PUBLIC], ["2606:2800:220:1::1", "::ffff:127.0.0.1"], [PUBLIC, "10.0.0.7"]],
)
def test_a_name_with_any_private_address_is_refused(
    server: LocalServer, accepts: list[object], settings: CrawlSettings, answer: list[str]
) -> None:
    private = next(a for a in answer if not is_public_address(a))
    url = f"http://mixed.example:{server.port}/"
    # when connecting (the backend alone, no pre-check) ...
    with pytest.raises(BlockedAddress) as exc:
        run(_raw_get(GuardedBackend(resolve=Dns({"mixed.example": [answer]})), url))
    assert f"mixed.example resolves to non-public address {private}" in exc.value.message
    # ... and in the Fetcher's pre-check
    strict = replace(settings, allow_networks=())
    with pytest.raises(BlockedAddress) as exc:
        run(_fetch(strict, url, Dns({"mixed.example": [answer]})))
    assert exc.value.message.startswith("refusing to fetch: mixed.example resolves to non-public address")
    assert server.hits == [] and accepts == []


def test_unreachable_first_address_falls_back_to_the_next(
    server: LocalServer, accepts: list[object], settings: CrawlSettings
) -> None:
    """Several addresses are tried like anyio does (the server listens on IPv4 only, ::1 is refused)."""
    server.routes["/"] = Resp(body="<html>ok</html>")
    dns = Dns({"dual.example": [["::1", "127.0.0.1"]]})
    headers = run(_fetch(replace(settings, obey_robots=False), f"http://dual.example:{server.port}/", dns))
    assert headers["content-type"].startswith("text/html") and len(accepts) == 1


def test_a_name_that_does_not_resolve_is_a_fetch_error(settings: CrawlSettings) -> None:
    with pytest.raises(FetchError) as exc:
        run(_fetch(replace(settings, max_retries=0, obey_robots=False), "http://nowhere.example/", Dns({})))
    assert not isinstance(exc.value, BlockedAddress)
    assert "connection failed: ConnectError" in exc.value.message and "Name or service not known" in exc.value.message


# -- TLS: the TCP connection goes to the checked IP, TLS still speaks to the name ---------------------------------


@pytest.fixture(scope="module")
def tls_cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for rebind.example only (no IP address in it)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl not installed")
    d = tmp_path_factory.mktemp("tls")
    cert, key = d / "cert.pem", d / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=rebind.example",
         "-addext", "subjectAltName=DNS:rebind.example"],
        check=True, capture_output=True,
    )
    return cert, key


async def _tls_get(cert: Path, key: Path, host: str) -> tuple[int, list[str | None]]:
    """GET https://host/ through the guarded transport from a TLS server on 127.0.0.1; the SNI names it saw."""
    server_names: list[str | None] = []
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(cert, key)
    server_ctx.sni_callback = lambda _sock, name, _ctx: server_names.append(name)

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError):
            pass
        finally:
            writer.close()

    srv = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=server_ctx)
    port = srv.sockets[0].getsockname()[1]
    dns = Dns({"rebind.example": [["127.0.0.1"]], "other.example": [["127.0.0.1"]]})
    transport = ShardedTransport(shards=1, connections_per_shard=1, ssl_context=ssl.create_default_context(cafile=cert),
                                 network_backend=GuardedBackend(policy=AddressPolicy(LOOPBACK), resolve=dns))
    try:
        async with httpx.AsyncClient(transport=transport) as client:
            status = (await client.get(f"https://{host}:{port}/")).status_code
    finally:
        srv.close()
        await srv.wait_closed()
    assert dns.log == [(host, ["127.0.0.1"])]  # connected by the IP this resolver gave
    return status, server_names


def test_tls_uses_the_host_name_for_sni_and_certificate(tls_cert: tuple[Path, Path]) -> None:
    status, server_names = run(_tls_get(*tls_cert, "rebind.example"))
    assert status == 200 and server_names == ["rebind.example"]


def test_tls_certificate_is_checked_against_the_name_not_the_ip(tls_cert: tuple[Path, Path]) -> None:
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        run(_tls_get(*tls_cert, "other.example"))
