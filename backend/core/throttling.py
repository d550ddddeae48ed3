"""Throttles for the calls that trade a guessable secret (a code, a password) for a token.

An enrollment or invitation code is 8 characters of 30: unthrottled, one client tried about 18,500
a minute. What is counted is *failures* (any 4xx answer but 429): a clinic enrolling twenty phones
from one address in a minute is never slowed, a client trying wrong codes is. A view names its
budget with `throttle_scope`; `AddressThrottle` counts each client address
(backend.core.client_address: the proxy's header only from a trusted proxy) and `GlobalThrottle`
all clients together, so spreading over many addresses does not help either. Rates come from
CARELOOP_THROTTLE_RATES, e.g. {"codes.address": "10/min", "codes.global": "300/min"}; a budget and
reach without a rate is not throttled. Past it the answer is 429 with Retry-After (DRF's Throttled).

Counts are fixed windows in the shared cache (Redis, atomic INCR), so every gunicorn worker and
machine counts together. If Redis cannot be reached the throttle lets the request through (fails
open) and logs: enrollment must not stop because a cache is down, and what stands behind the
throttle still holds (a code works once and expires; the lockout counts passwords in the database).

The first refusal of a window is announced (`requests_throttled`), so the clinics' admins hear of a
burst.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from redis.exceptions import RedisError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle

from backend.core.client_address import client_address
from backend.core.events import requests_throttled

logger = logging.getLogger(__name__)


class _FailureThrottle(BaseThrottle):
    reach = ""

    def _configure(self, view: Any) -> bool:
        """The budget's scope, limit and window from the view; False when it is not throttled."""
        budget = getattr(view, "throttle_scope", None)
        rates: dict[str, str] = getattr(settings, "CARELOOP_THROTTLE_RATES", {})
        rate = rates.get(f"{budget}.{self.reach}") if budget else None
        if rate is None:
            return False
        self.budget, self.rate = budget, rate
        self.limit, self.duration = SimpleRateThrottle.parse_rate(None, rate)  # type: ignore[arg-type]
        return True

    def ident(self, request: Request) -> str:
        raise NotImplementedError

    def _key(self, request: Request, now: float) -> str:
        return f"throttle:{self.budget}.{self.reach}:{self.ident(request)}:{int(now // self.duration)}"

    def allow_request(self, request: Request, view: Any) -> bool:
        if not self._configure(view):
            return True
        now = time.time()
        self.retry_after = self.duration - int(now % self.duration)
        try:
            if (cache.get(self._key(request, now)) or 0) < self.limit:
                return True
            self._announce(request, now)
        except (RedisError, OSError) as exc:
            logger.warning("throttle %s.%s not applied: the cache is unreachable (%s)", self.budget, self.reach, exc)
            return True
        return False

    def wait(self) -> float | None:
        return float(self.retry_after)

    def record_failure(self, request: Request, view: Any) -> None:
        if not self._configure(view):
            return
        key = self._key(request, time.time())
        try:
            cache.add(key, 0, timeout=self.duration + 1)
            cache.incr(key)
        except ValueError:  # the window ended between add and incr: count in the next one
            cache.add(key, 1, timeout=self.duration + 1)
        except (RedisError, OSError) as exc:
            logger.warning("throttle %s.%s not counted: the cache is unreachable (%s)", self.budget, self.reach, exc)

    def _announce(self, request: Request, now: float) -> None:
        """The first refusal of a window is announced; the others only refused."""
        if not cache.add(f"{self._key(request, now)}:announced", 1, timeout=self.duration + 1):
            return
        address = client_address(request)
        logger.warning("throttled %s.%s from %s (more than %s failures)", self.budget, self.reach, address, self.rate)
        requests_throttled.send(
            sender=type(self),
            budget=self.budget,
            reach=self.reach,
            address=address,
            rate=self.rate,
            now=timezone.now(),
        )


class AddressThrottle(_FailureThrottle):
    """Each client address has its own budget of failures."""

    reach = "address"

    def ident(self, request: Request) -> str:
        return client_address(request)


class GlobalThrottle(_FailureThrottle):
    """One budget of failures for all clients together."""

    reach = "global"

    def ident(self, request: Request) -> str:
        return "all"


class FailuresThrottled:
    """For an APIView: refuse while a budget of failed attempts is spent, and count each failure
    (a 4xx answer other than 429) once the view has answered."""

    throttle_classes = [AddressThrottle, GlobalThrottle]

    def finalize_response(self, request: Request, response: Response, *args: Any, **kwargs: Any) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)  # type: ignore[misc]
        if 400 <= response.status_code < 500 and response.status_code != 429:
            for throttle in self.get_throttles():  # type: ignore[attr-defined]
                throttle.record_failure(request, self)
        return response
