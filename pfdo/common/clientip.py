"""The client's address of a request: REMOTE_ADDR, or behind trusted proxies the address they saw.

Rate limits, the login lockout (axes), the audit log's address and the anonymous scope of an
Idempotency-Key all count by it. `X-Forwarded-For` is anyone's to write, so it is read only
when the connection itself comes from a proxy listed in `PFDO_TRUSTED_PROXIES` (addresses or
networks; empty by default: the header is ignored). Then the list is read from the right —
each proxy appends the address it saw — skipping proxies we trust, and the first address that
is not one of ours is the client: whatever the client wrote itself stands to the left of it
and is never believed.
"""

from __future__ import annotations

import functools
import ipaddress

from django.conf import settings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@functools.lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    # ip_network accepts a single address too (a /32 or /128 network).
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries if entry)


def trusted_networks() -> tuple[Network, ...]:
    return _networks(tuple(getattr(settings, "PFDO_TRUSTED_PROXIES", ()) or ()))


def _parse(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # "[2001:db8::1]:443"
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # "192.0.2.1:443"
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def _trusted(address, networks: tuple[Network, ...]) -> bool:
    return any(address in network for network in networks)


def client_ip(request) -> str | None:
    """The client's address (a string), or None when the request has none."""
    remote = request.META.get("REMOTE_ADDR") or None
    networks = trusted_networks()
    address = _parse(remote) if remote else None
    if address is None or not networks or not _trusted(address, networks):
        return remote
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    for hop in reversed([part for part in forwarded.split(",") if part.strip()]):
        seen = _parse(hop)
        if seen is None:
            # A trusted proxy writes addresses; garbage here came from beyond it, so the
            # nearest address we can vouch for is the last proxy's.
            break
        address = seen
        if not _trusted(seen, networks):
            break
    return str(address)
