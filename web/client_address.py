"""The client's address (for the login rate limit and the audit log) and scheme (for ``Secure`` cookies and
absolute URLs), also behind a reverse proxy.

Forwarding headers are believed only when the connection comes from one of ``settings.trusted_proxies``; with
none configured (the default) they are ignored, since anyone can send them. From a trusted proxy the client is
the right-most address in ``X-Forwarded-For`` (or, when that header is absent, in ``Forwarded: for=``) that is
not itself a trusted proxy: each proxy appends the address it saw, so everything to the left of that came from
the client and may be made up. An unreadable or obfuscated value there means the peer's own address is used.
The scheme is https when the connection is, or when a trusted proxy that terminated TLS says so in
``X-Forwarded-Proto`` (or, without it, ``Forwarded: proto=``); see ``forwarded_scheme``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

from starlette.datastructures import Headers
from starlette.requests import Request

__all__ = ["Network", "client_address", "forwarded_client", "forwarded_scheme", "trusted_networks"]

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def trusted_networks(entries: Iterable[str]) -> tuple[Network, ...]:
    """``settings.trusted_proxies`` (already validated) as networks."""
    return tuple(ipaddress.ip_network(entry) for entry in entries)


def _address(text: str) -> IPAddress | None:
    """An IP address from a header value: ``192.0.2.1``, ``192.0.2.1:8080``, ``2001:db8::1``,
    ``[2001:db8::1]:443``, optionally quoted; None for anything else (``unknown``, ``_hidden``, garbage)."""
    value = text.strip().strip('"').strip()
    if value.startswith("["):
        value = value[1:value.find("]")] if "]" in value else ""
    elif value.count(":") == 1:
        value = value.partition(":")[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _trusted(address: IPAddress, trusted: Sequence[Network]) -> bool:
    return any(address.version == net.version and address in net for net in trusted)


def _forwarded_values(value: str, name: str) -> list[str] | None:
    """The ``name=`` values (``for``, ``proto``) of an RFC 7239 ``Forwarded`` header, in order (elements without
    one give ""); None when the header cannot be read (an unterminated quote)."""
    elements: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    for char in value + ",":
        if escaped:
            escaped = False
        elif quoted and char == "\\":
            escaped = True
            continue
        elif char == '"':
            quoted = not quoted
        elif char == "," and not quoted:
            element = "".join(current)
            found = ""
            for pair in element.split(";"):
                key, _, val = pair.partition("=")
                if key.strip().lower() == name:
                    found = val.strip()
            elements.append(found)
            current = []
            continue
        current.append(char)
    return None if quoted else elements


def forwarded_client(peer: str, headers: Headers, trusted: Sequence[Network]) -> str:
    """The client address for a connection from ``peer`` carrying ``headers`` (see the module's docstring)."""
    peer_address = _address(peer)
    if not trusted or peer_address is None or not _trusted(peer_address, trusted):
        return peer
    chain: list[str] | None
    if "x-forwarded-for" in headers:
        chain = ",".join(headers.getlist("x-forwarded-for")).split(",")
    elif "forwarded" in headers:
        chain = _forwarded_values(",".join(headers.getlist("forwarded")), "for")
    else:
        return peer
    if not chain:
        return peer
    client = peer_address
    for entry in reversed(chain):
        address = _address(entry)
        if address is None:
            return peer
        client = address
        if not _trusted(address, trusted):
            break
    return str(client)


def client_address(request: Request) -> str:
    """The address of whoever sent ``request``: the peer, or the client a trusted proxy names."""
    peer = request.client.host if request.client else ""
    trusted: Sequence[Network] = getattr(request.app.state, "trusted_proxies", ())
    return forwarded_client(peer, request.headers, trusted)


def forwarded_scheme(scheme: str, peer: str, headers: Headers, trusted: Sequence[Network]) -> str:
    """The scheme the client used: "https" when a trusted ``peer`` says so, else the connection's ``scheme``.

    The proxy's word is the last value of ``X-Forwarded-Proto`` (or, without that header, the ``proto=`` of the
    last ``Forwarded`` element): the one the proxy next to us added or set. It can only turn http into https.
    """
    peer_address = _address(peer)
    if scheme == "https" or not trusted or peer_address is None or not _trusted(peer_address, trusted):
        return scheme
    if "x-forwarded-proto" in headers:
        claimed: list[str] | None = ",".join(headers.getlist("x-forwarded-proto")).split(",")
    elif "forwarded" in headers:
        claimed = _forwarded_values(",".join(headers.getlist("forwarded")), "proto")
    else:
        return scheme
    last = claimed[-1].strip().strip('"').strip().lower() if claimed else ""
    return "https" if last == "https" else scheme
