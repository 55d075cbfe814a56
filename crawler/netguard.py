"""SSRF guard: connect only to public addresses, plus the networks the operator allows; never to cloud
metadata services.

:class:`AddressPolicy` decides per address: a cloud metadata address (:data:`METADATA_ADDRESSES`, also
inside IPv4-mapped, 6to4, NAT64 and IPv4-compatible IPv6) is always refused, even when an allowed network
contains it; an address inside ``allow_networks`` is allowed; otherwise only public addresses are (not
private, loopback, link-local, multicast, reserved, unspecified or CGNAT 100.64.0.0/10).

Three layers, sharing one resolver:

* :func:`check_source_url` looks at a URL without DNS, when a source is added or edited: IP literals in any
  form (``http://2130706433/``, ``http://0x7f.1/``, ``[::ffff:127.0.0.1]``), ``localhost`` and
  ``*.localhost``, metadata host names.
* :func:`check_host` runs before every hop (and before robots.txt): the early, clear error for the
  common cases (literal internal IPs, internal hostnames, redirects into the LAN).
* :class:`GuardedBackend` is the httpcore network backend under the Fetcher's connection pools: it
  resolves the host itself when a connection is opened, refuses it if any address is refused,
  and connects the TCP socket to a checked IP. The DNS answer that is checked is the one that is
  connected to, so a DNS-rebinding host (public for the pre-check, 127.0.0.1 a moment later) is
  refused too. httpcore starts TLS on the connected stream with the URL's host name, so SNI and
  certificate checks still use the name, not the IP.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import socket
import unicodedata
from collections.abc import Awaitable, Callable, Iterable, Sequence
from urllib.parse import unquote, urlsplit

import anyio
import httpcore

from .errors import BlockedAddress

__all__ = [
    "METADATA_ADDRESSES",
    "METADATA_HOSTS",
    "AddressPolicy",
    "GuardedBackend",
    "Resolver",
    "check_host",
    "check_source_url",
    "is_public_address",
    "parse_networks",
    "resolve_host",
    "system_resolve",
]

Resolver = Callable[[str, int], Awaitable[Sequence[str]]]
"""``resolve(host, port)`` -> the host name's addresses (IP strings), best first; OSError when it fails."""

HAPPY_EYEBALLS_DELAY = 0.25  # seconds before the next address is tried alongside (RFC 8305, as anyio)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

#: Instance metadata / credential services of cloud platforms: refused whatever ``allow_networks`` says.
METADATA_ADDRESSES: frozenset[IPAddress] = frozenset(ipaddress.ip_address(a) for a in (
    "169.254.169.254",  # AWS, GCP, Azure, OpenStack, DigitalOcean, Hetzner, Oracle, IBM, Linode, Vultr, ...
    "fd00:ec2::254",  # AWS IMDS over IPv6
    "169.254.170.2",  # AWS ECS task metadata and credentials
    "169.254.170.23",  # AWS EKS Pod Identity agent
    "fd00:ec2::23",  # AWS EKS Pod Identity agent over IPv6
    "fd20:ce::254",  # GCP metadata over IPv6
    "100.100.100.200",  # Alibaba Cloud
    "192.0.0.192",  # Oracle Cloud (classic)
    "169.254.42.42",  # Scaleway
    "fd00:42::42",  # Scaleway over IPv6
    "169.254.0.23",  # Tencent Cloud
    "168.63.129.16",  # Azure WireServer (host agent)
))
#: Host names of metadata services (and the usual aliases), refused without asking DNS.
METADATA_HOSTS: frozenset[str] = frozenset((
    "metadata", "metadata.google.internal", "metadata.goog", "instance-data", "instance-data.ec2.internal",
    "metadata.tencentyun.com", "metadata.platformequinix.com", "metadata.packet.net", "rancher-metadata",
))
_LOCALHOST = (ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1"))
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


def parse_networks(entries: Iterable[str], *, name: str = "allow_networks") -> tuple[IPNetwork, ...]:
    """IP addresses or CIDR networks as networks; ValueError naming ``name`` and the bad entry."""
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(str(entry).strip()))
        except ValueError:
            raise ValueError(f"{name}: {entry!r} is not an IP address or a network such as '10.0.0.0/8' "
                             "(no host bits after the prefix)") from None
    return tuple(networks)


def _unwrap(ip: IPAddress) -> IPAddress:
    """The IPv4 address inside an IPv4-mapped, 6to4, NAT64 or IPv4-compatible IPv6 address; else ``ip``."""
    if isinstance(ip, ipaddress.IPv6Address):
        inner = ip.ipv4_mapped or ip.sixtofour
        if inner is not None:
            return inner
        if ip in _NAT64 or (ip in _IPV4_COMPATIBLE and int(ip) > 1):
            return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip


def _parse_ip(addr: str) -> IPAddress:
    return ipaddress.ip_address(addr.split("%", 1)[0])


def is_public_address(addr: str) -> bool:
    """False for private, loopback, link-local, multicast, reserved, unspecified or shared addresses."""
    ip = _parse_ip(addr)
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
        or (isinstance(ip, ipaddress.IPv4Address) and ip in _CGNAT)
    )


class AddressPolicy:
    """Which addresses may be connected to: public ones and ``allow_networks``; never cloud metadata."""

    def __init__(self, allow_networks: Iterable[str] = ()) -> None:
        self.networks = parse_networks(allow_networks)
        self.refusal = functools.lru_cache(maxsize=4096)(self._refusal)

    def _allowed(self, ip: IPAddress) -> bool:
        return any(ip.version == net.version and ip in net for net in self.networks)

    def _refusal(self, addr: str) -> str | None:
        """None if ``addr`` may be connected to, else the kind of address: "non-public" or "cloud metadata"."""
        ip = _parse_ip(addr)
        if ip in METADATA_ADDRESSES or _unwrap(ip) in METADATA_ADDRESSES:
            return "cloud metadata"
        if self._allowed(ip) or self._allowed(_unwrap(ip)) or is_public_address(addr):
            return None
        return "non-public"

    def refuse(self, host: str, addrs: Iterable[str], *, url: str | None, when: str) -> None:
        """BlockedAddress unless every one of ``host``'s addresses may be connected to."""
        for addr in addrs:
            kind = self.refusal(addr)
            if kind is not None:
                what = f"is a {kind} address" if addr == host else f"resolves to {kind} address {addr}"
                raise BlockedAddress(f"refusing to {when}: {host} {what}{_HINTS[kind]}", url=url)


_HINTS = {
    "non-public": " (add its network to allow_networks to allow it)",
    "cloud metadata": " (refused even when allow_networks contains it)",
}


def _refuse_host_name(host: str, policy: AddressPolicy, *, url: str | None, when: str) -> None:
    """Names that are internal whatever DNS says: metadata services, ``localhost`` and ``*.localhost``."""
    name = host.rstrip(".").lower()
    if name in METADATA_HOSTS:
        raise BlockedAddress(f"refusing to {when}: {host} is a cloud metadata service", url=url)
    if name == "localhost" or name.endswith(".localhost"):
        for ip in _LOCALHOST:
            if policy.refusal(str(ip)) is not None:
                raise BlockedAddress(
                    f"refusing to {when}: {host} is this machine (loopback; allow_networks must contain "
                    "127.0.0.1 and ::1 to allow it)", url=url)


async def system_resolve(host: str, port: int) -> list[str]:
    """The event loop's getaddrinfo (TCP), in the system's order, duplicates removed."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


async def resolve_host(host: str, port: int, resolve: Resolver = system_resolve) -> list[str]:
    """Addresses of ``host``: an IP literal (brackets allowed) as is, a name through ``resolve``."""
    host = host.strip("[]")
    try:
        _parse_ip(host)
    except ValueError:
        return list(dict.fromkeys(await resolve(host, port)))
    return [host]


async def check_host(
    host: str, port: int, *, url: str, policy: AddressPolicy, resolve: Resolver = system_resolve
) -> None:
    """Resolve ``host`` and raise BlockedAddress unless ``policy`` allows every address.

    The early check; the connection resolves again and :class:`GuardedBackend` checks that answer.
    """
    host = host.strip("[]")
    _refuse_host_name(host, policy, url=url, when="fetch")
    try:
        addrs = await resolve_host(host, port, resolve)
    except OSError:
        return  # let the HTTP client report the DNS failure as a FetchError
    policy.refuse(host, addrs, url=url, when="fetch")


def _ipv4_number(part: str) -> int | None:
    """One part of an IPv4 host as inet_aton and browsers read it: decimal, 0x-hex or 0-octal; else None."""
    if not part.isascii():
        return None
    try:
        if part[:2].lower() == "0x":
            return int(part[2:] or "0", 16)
        if len(part) > 1 and part.startswith("0"):
            return int(part[1:], 8)
        return int(part, 10) if part.isdigit() else None
    except ValueError:
        return None


def _ipv4_from_numbers(host: str) -> ipaddress.IPv4Address | None:
    """The address of a host written as IPv4 numbers (``2130706433``, ``0x7f.1``, ``0177.0.0.1``, ``127.1``),
    read the way browsers and inet_aton do; None for a name; ValueError when it ends in a number but is no
    valid address."""
    parts = host.split(".")
    if _ipv4_number(parts[-1]) is None:
        return None  # a name: its last label is not a number
    numbers = [_ipv4_number(part) for part in parts]
    if len(parts) > 4 or any(n is None for n in numbers):
        raise ValueError("not a valid IPv4 address")
    *head, last = [n for n in numbers if n is not None]
    if any(n > 255 for n in head) or last >= 256 ** (4 - len(head)):
        raise ValueError("a number out of range")
    return ipaddress.IPv4Address(sum(n << (8 * (3 - i)) for i, n in enumerate(head)) + last)


def check_source_url(url: str, allow_networks: Iterable[str] = ()) -> None:
    """Refuse a source URL that names an internal address literally, without asking DNS.

    Raises :class:`BlockedAddress` with a readable message for: IP literals (IPv4 in dotted, decimal,
    hex, octal or short form, IPv6, IPv4-mapped IPv6) that are not public and not in ``allow_networks``,
    cloud metadata addresses and host names (always), ``localhost`` and ``*.localhost`` (unless loopback
    is allowed), and a URL without a readable host. Names that resolve to internal addresses are caught
    when crawled (:func:`check_host`, :class:`GuardedBackend`).
    """
    policy = AddressPolicy(allow_networks)
    try:
        raw = urlsplit(url.strip()).hostname
    except ValueError as exc:
        raise BlockedAddress(f"refusing to add: the host cannot be read ({exc})", url=url) from None
    if not raw:
        raise BlockedAddress("refusing to add: the URL names no host", url=url)
    # as browsers and IDNA read it: percent-decoded, NFKC (full-width digits), lower case, no final dot
    host = unicodedata.normalize("NFKC", unquote(raw)).lower().rstrip(".")
    _refuse_host_name(host, policy, url=url, when="add")
    literal = True
    try:
        ip: IPAddress | None = _parse_ip(host)
    except ValueError:
        literal = False
        try:
            ip = _ipv4_from_numbers(host)
        except ValueError as exc:
            raise BlockedAddress(f"refusing to add: {raw} looks like an IP address but is not one ({exc})",
                                 url=url) from None
    shown = raw if literal and host == raw else f"{raw} (that is {ip})"
    kind = policy.refusal(str(ip)) if ip is not None else None
    if kind is not None:
        raise BlockedAddress(f"refusing to add: {shown} is a {kind} address{_HINTS[kind]}", url=url)


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore network backend that connects only to addresses it resolved and checked itself.

    ``connect_tcp`` resolves the host with ``resolve``, raises :class:`BlockedAddress` (url None; the
    Fetcher fills it in) if ``policy`` refuses any address (default: public addresses only), then connects
    to the checked IPs, Happy-Eyeballs style like anyio, through ``backend`` (httpcore's anyio backend).
    """

    def __init__(
        self,
        *,
        policy: AddressPolicy | None = None,
        resolve: Resolver = system_resolve,
        backend: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        self.policy = policy or AddressPolicy()
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
                self.policy.refuse(host.strip("[]"), addrs, url=None, when="connect")
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
        """Local sockets are never public, and no allow-list entry names one: always refused."""
        raise BlockedAddress(f"refusing to connect to the unix socket {path}")

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
