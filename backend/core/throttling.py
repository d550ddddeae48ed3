"""Request throttles for the calls that trade a guessable secret (a code, a password) for a token.

An enrollment or invitation code is 8 characters of 30: unthrottled, one client tried about 18,500
a minute. A view names its budget with `throttle_scope`; `AddressThrottle` counts each client
address (backend.core.client_address: the proxy's header only from a trusted proxy) and
`GlobalThrottle` every client together, so spreading over many addresses does not help either.
Rates come from CARELOOP_THROTTLE_RATES, e.g. {"codes.address": "10/min", "codes.global":
"300/min"}; a scope and reach without a rate is not throttled.

The counts live in the shared cache (Redis), so every gunicorn worker and machine counts together.
If Redis cannot be reached the throttle lets the request through (fails open) and logs: enrollment
must not stop because a cache is down, and what stands behind the throttle still holds (a code
works once and expires; passwords are counted by the lockout in the database).

A refusal is announced once per window (`codes_throttled`), so the clinics' admins hear of a burst.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.utils import timezone
from redis.exceptions import RedisError
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from backend.core.client_address import client_address
from backend.core.events import requests_throttled

logger = logging.getLogger(__name__)


class _Throttle(SimpleRateThrottle):
    reach = ""

    def __init__(self) -> None:  # the rate depends on the view: read in allow_request
        pass

    def get_rate(self) -> str | None:
        rates: dict[str, str] = getattr(settings, "CARELOOP_THROTTLE_RATES", {})
        return rates.get(self.scope)

    def ident(self, request: Request) -> str:
        raise NotImplementedError

    def get_cache_key(self, request: Request, view: Any) -> str:
        return f"throttle:{self.scope}:{self.ident(request)}"

    def allow_request(self, request: Request, view: Any) -> bool:
        budget = getattr(view, "throttle_scope", None)
        if not budget:
            return True
        self.scope = f"{budget}.{self.reach}"
        self.rate = self.get_rate()
        if self.rate is None:
            return True
        self.num_requests, self.duration = self.parse_rate(self.rate)
        try:
            if super().allow_request(request, view):
                return True
            self._announce(request, budget)
        except (RedisError, OSError) as exc:
            logger.warning("throttle %s not applied: the cache is unreachable (%s)", self.scope, exc)
            return True
        return False

    def _announce(self, request: Request, budget: str) -> None:
        """The first refusal of a window is announced; the others only counted."""
        address = client_address(request)
        ident = self.ident(request)
        if self.cache.add(f"throttle-announced:{self.scope}:{ident}", 1, timeout=self.duration):
            logger.warning("throttled %s from %s (more than %s)", self.scope, address, self.rate)
            requests_throttled.send(
                sender=type(self), budget=budget, reach=self.reach, address=address, rate=self.rate, now=timezone.now()
            )


class AddressThrottle(_Throttle):
    """Each client address has its own budget."""

    reach = "address"

    def ident(self, request: Request) -> str:
        return client_address(request)


class GlobalThrottle(_Throttle):
    """One budget for all clients together."""

    reach = "global"

    def ident(self, request: Request) -> str:
        return "all"


CODE_THROTTLES = [AddressThrottle, GlobalThrottle]
