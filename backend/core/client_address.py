"""The address a request came from, for the sign-in lockout and the request throttles.

Behind the TLS-terminating proxy that production runs behind (README "Production"), every request
arrives from the proxy's address: counted by that, five nurses' typos would lock them all out and
one client's flood would throttle everyone. The proxy names the client in `X-Forwarded-For`, but
anyone can send that header, so it is read only when the connection comes from a proxy listed in
CARELOOP_TRUSTED_PROXIES (addresses or networks, comma-separated), and then only as far back as
the hops those trusted proxies added: the client is the nearest address that is not a trusted proxy.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from django.conf import settings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries if entry.strip())


def _trusted(address: str, networks: Sequence[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_address(request: Any) -> str:
    """The client's address: the connection's own unless it comes from a trusted proxy."""
    remote = str(request.META.get("REMOTE_ADDR") or "")
    networks = _networks(tuple(getattr(settings, "CARELOOP_TRUSTED_PROXIES", ())))
    if not networks or not _trusted(remote, networks):
        return remote
    forwarded = str(request.META.get("HTTP_X_FORWARDED_FOR") or "")
    client = remote
    # Right to left: each trusted hop vouches for the address before it; the first untrusted one
    # is the client. Anything further left was written by the client and is not believed.
    for hop in reversed([part.strip() for part in forwarded.split(",") if part.strip()]):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            break  # garbage: keep the last address a trusted proxy vouched for
        client = hop
        if not _trusted(hop, networks):
            break
    return client
