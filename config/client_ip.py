"""The client's address, the one answer used by the audit trail and by django-axes.

Behind a reverse proxy every request comes from the proxy's address; the real client is in
X-Forwarded-For, which anyone can also send. The header is therefore believed only as far as
it was written by proxies we trust (settings.TRUSTED_PROXIES, addresses or networks, from the
TRUSTED_PROXIES environment variable): starting from the connection's own address, each hop
that is a trusted proxy hands over to the address it reports, right to left; the first address
that is not a trusted proxy is the client. Without trusted proxies the header is ignored.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from functools import lru_cache

from django.conf import settings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(entries: Iterable[str]) -> tuple[Network, ...]:
    """'10.0.0.1', '10.0.0.0/8', '::1' → networks; an entry that is neither raises ValueError
    naming it (a typo in TRUSTED_PROXIES must stop the start, not silently trust nothing)."""
    networks = []
    for entry in entries:
        entry = entry.strip()
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError as exc:
            raise ValueError(f"TRUSTED_PROXIES 中的“{entry}”不是 IP 地址或网段") from exc
    return tuple(networks)


@lru_cache(maxsize=8)
def _trusted(entries: tuple[str, ...]) -> tuple[Network, ...]:
    return parse_networks(entries)


def _address(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    value = value.strip()
    if value.startswith("[") and "]" in value:  # "[2001:db8::1]:443"
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # "203.0.113.9:5050"
        value = value.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def resolve(remote_addr: str, forwarded_for: str, trusted: Iterable[Network]) -> str | None:
    """The client's address from the connection's address and the X-Forwarded-For header."""
    trusted = tuple(trusted)
    current = _address(remote_addr or "")
    if current is None:
        return None

    def is_trusted(address) -> bool:
        return any(address in network for network in trusted)

    hops = [h for h in (forwarded_for or "").split(",") if h.strip()]
    while is_trusted(current) and hops:
        reported = _address(hops.pop())
        if reported is None:  # garbage from a trusted proxy's client: stop at the proxy
            break
        current = reported
    return str(current)


def client_ip(request) -> str | None:
    """The client's address for this request (None without a request or a usable address)."""
    if request is None:
        return None
    meta = getattr(request, "META", {})
    trusted = _trusted(tuple(getattr(settings, "TRUSTED_PROXIES", ()) or ()))
    return resolve(meta.get("REMOTE_ADDR", ""), meta.get("HTTP_X_FORWARDED_FOR", ""), trusted)
