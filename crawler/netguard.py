"""SSRF guard: refuse hosts that resolve to non-public addresses.

Two layers, sharing one resolver:

* :func:`check_host` runs before every hop (and before robots.txt): the early, clear error for the
  common cases (literal internal IPs, internal hostnames, redirects into the LAN).
* :class:`GuardedBackend` is the httpcore network backend under the Fetcher's connection pools: it
  resolves the host itself when a connection is opened, refuses it if any address is non-public,
  and connects the TCP socket to a checked IP. The DNS answer that is checked is the one that is
  connected to, so a DNS-rebinding host (public for the pre-check, 127.0.0.1 a moment later) is
  refused too. httpcore starts TLS on the connected stream with the URL's host name, so SNI and
  certificate checks still use the name, not the IP.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable, Sequence

import anyio
import httpcore

from .errors import BlockedAddress

__all__ = ["GuardedBackend", "Resolver", "check_host", "is_public_address", "resolve_host", "system_resolve"]

Resolver = Callable[[str, int], Awaitable[Sequence[str]]]
"""``resolve(host, port)`` -> the host name's addresses (IP strings), best first; OSError when it fails."""

HAPPY_EYEBALLS_DELAY = 0.25  # seconds before the next address is tried alongside (RFC 8305, as anyio)


def is_public_address(addr: str) -> bool:
    """False for private, loopback, link-local, multicast, reserved, unspecified or shared addresses."""
    ip = ipaddress.ip_address(addr.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        mapped = ip.ipv4_mapped or ip.sixtofour
        if mapped is not None:
            ip = mapped
    return not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or (isinstance(ip, ipaddress.IPv4Address) and ip in ipaddress.ip_network("100.64.0.0/10"))
    )


async def system_resolve(host: str, port: int) -> list[str]:
    """The event loop's getaddrinfo (TCP), in the system's order, duplicates removed."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


async def resolve_host(host: str, port: int, resolve: Resolver = system_resolve) -> list[str]:
    """Addresses of ``host``: an IP literal (brackets allowed) as is, a name through ``resolve``."""
    host = host.strip("[]")
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return list(dict.fromkeys(await resolve(host, port)))
    return [host]


def _refuse_non_public(host: str, addrs: Iterable[str], *, url: str | None, when: str) -> None:
    for addr in addrs:
        if not is_public_address(addr):
            what = "is a non-public address" if addr == host else f"resolves to non-public address {addr}"
            raise BlockedAddress(
                f"refusing to {when}: {host} {what} (set allow_private_networks=True only for tests/demo)",
                url=url,
            )


async def check_host(host: str, port: int, *, url: str, resolve: Resolver = system_resolve) -> None:
    """Resolve ``host`` and raise BlockedAddress unless every address is public.

    The early check; the connection resolves again and :class:`GuardedBackend` checks that answer.
    """
    host = host.strip("[]")
    try:
        addrs = await resolve_host(host, port, resolve)
    except OSError:
        return  # let the HTTP client report the DNS failure as a FetchError
    _refuse_non_public(host, addrs, url=url, when="fetch")


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore network backend that connects only to addresses it resolved and checked itself.

    ``connect_tcp`` resolves the host with ``resolve``, raises :class:`BlockedAddress` (url None; the
    Fetcher fills it in) if any address is non-public unless ``allow_private``, then connects to
    the checked IPs, Happy-Eyeballs style like anyio, through ``backend`` (httpcore's anyio backend).
    """

    def __init__(
        self,
        *,
        allow_private: bool = False,
        resolve: Resolver = system_resolve,
        backend: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        self.allow_private = allow_private
        self.resolve = resolve
        self._backend = backend or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Resolve, refuse non-public answers, connect by IP (the caller does TLS with the host name)."""
        try:
            with anyio.fail_after(timeout):
                try:
                    addrs = await resolve_host(host, port, self.resolve)
                except OSError as exc:
                    raise httpcore.ConnectError(str(exc)) from exc
                if not addrs:
                    raise httpcore.ConnectError(f"{host} resolves to no address")
                if not self.allow_private:
                    _refuse_non_public(host.strip("[]"), addrs, url=None, when="connect")
                return await self._connect_first(host, addrs, port, local_address, socket_options)
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(f"connecting to {host} timed out") from exc

    async def _connect_first(
        self,
        host: str,
        addrs: Sequence[str],
        port: int,
        local_address: str | None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None,
    ) -> httpcore.AsyncNetworkStream:
        """First address to answer wins; the next one starts after HAPPY_EYEBALLS_DELAY or a failure."""
        if len(addrs) == 1:
            return await self._backend.connect_tcp(
                addrs[0], port, local_address=local_address, socket_options=socket_options
            )
        winner: httpcore.AsyncNetworkStream | None = None
        errors: list[str] = []

        async def attempt(addr: str, done: anyio.Event) -> None:
            nonlocal winner
            try:
                stream = await self._backend.connect_tcp(
                    addr, port, local_address=local_address, socket_options=socket_options
                )
            except httpcore.ConnectError as exc:
                errors.append(f"{addr}: {exc}")
                return
            finally:
                done.set()
            if winner is None:
                winner = stream
                tg.cancel_scope.cancel()
            else:
                await stream.aclose()

        try:
            async with anyio.create_task_group() as tg:
                for addr in _interleave(addrs):
                    done = anyio.Event()
                    tg.start_soon(attempt, addr, done)
                    with anyio.move_on_after(HAPPY_EYEBALLS_DELAY):
                        await done.wait()
        except BaseException:
            if winner is not None:
                await winner.aclose()
            raise
        if winner is None:
            raise httpcore.ConnectError(f"all connection attempts to {host} failed: " + "; ".join(errors))
        return winner

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Local sockets are never public: only with ``allow_private``."""
        if not self.allow_private:
            raise BlockedAddress(f"refusing to connect to the unix socket {path}")
        return await self._backend.connect_unix_socket(path, timeout=timeout, socket_options=socket_options)

    async def sleep(self, seconds: float) -> None:
        """Delegated (httpcore sleeps between connect retries)."""
        await self._backend.sleep(seconds)


def _interleave(addrs: Sequence[str]) -> list[str]:
    """The first address, then the first of the other family (IPv6/IPv4), then the rest, as anyio orders them."""
    first_v6 = ":" in addrs[0]
    other = next((a for a in addrs[1:] if (":" in a) != first_v6), None)
    if other is None:
        return list(addrs)
    return [addrs[0], other, *(a for a in addrs[1:] if a != other)]
