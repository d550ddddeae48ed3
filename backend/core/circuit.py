"""A circuit breaker: after a failure, calls are skipped for a pause instead of each waiting on a
dead service; the first call after the pause tries again (and reopens the circuit if it fails)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class Circuit:
    def __init__(self, *, pause_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.pause_seconds = pause_seconds
        self._clock = clock
        self._open_until: float | None = None
        self._lock = threading.Lock()  # gunicorn's threaded workers share one circuit per process

    @property
    def is_open(self) -> bool:
        with self._lock:
            return self._open_until is not None and self._clock() < self._open_until

    def allows(self) -> bool:
        """True when a call may go ahead: the circuit is closed, or its pause is over (a trial).
        A trial re-arms the pause at once, so concurrent callers don't all try the dead service."""
        with self._lock:
            if self._open_until is None:
                return True
            now = self._clock()
            if now < self._open_until:
                return False
            self._open_until = now + self.pause_seconds
            return True

    def failed(self) -> None:
        with self._lock:
            self._open_until = self._clock() + self.pause_seconds

    def succeeded(self) -> None:
        with self._lock:
            self._open_until = None
