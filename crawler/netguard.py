"""SSRF guard: refuse hosts that resolve to non-public addresses."""

from __future__ import annotations

import asyncio
import ipaddress
import socket

from .errors import BlockedAddress

__all__ = ["check_host", "is_public_address"]


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


async def check_host(host: str, port: int, *, url: str) -> None:
    """Resolve ``host`` and raise BlockedAddress unless every address is public.

    Note: the connection itself resolves again (DNS rebinding window); the check still stops the
    common cases (literal internal IPs, internal hostnames, redirects into the LAN).
    """
    host = host.strip("[]")
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
        addrs = [host]
    except ValueError:
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError:
            return  # let the HTTP client report the DNS failure as a FetchError
        addrs = [info[4][0] for info in infos]
    for addr in addrs:
        if not is_public_address(str(addr)):
            raise BlockedAddress(
                f"refusing to fetch: {host} resolves to non-public address {addr} "
                "(set allow_private_networks=True only for tests/demo)",
                url=url,
            )
