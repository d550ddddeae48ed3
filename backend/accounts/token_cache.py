"""Bearer tokens remembered in each process, so that an authenticated request costs no database
round trip, with revocation effective on the very next request in every process.

What a token check needs (the token row and its user's) is kept per process, keyed by the token's
digest. Each entry carries the *generation* read from Redis before its rows were read from the
database. Anything that can end or change a token's meaning (a token revoked or deleted, a user
saved, deactivated, deleted, its role or clinic changed) writes a new random generation to Redis
(`auth_state_changed`, called by the models' querysets and signals): right away, and again once the
transaction commits. A request reads the generation (one Redis GET, about a tenth of the database
lookup) and uses its entry only when the generations match, so an entry read before a revocation
committed is never used after it:

- the entry's generation was read before its rows; the revocation's bump follows its commit; so
  a bump that the rows did not see comes after the entry's generation was read, and differs.
- Redis unreachable (or the generation unreadable): the database answers, never an entry; the
  process forgets every entry, and Redis is tried again after a short pause (`Circuit`).
- A Redis restart loses the key: a new random generation is written, which no entry carries.

The one gap, said plainly: a revocation whose bump fails (Redis unreachable from the revoking
process only, and reachable again from the web processes) is seen by them only when their entries
age out, after ENTRY_SECONDS at most; the revoking process logs it. On one machine, Redis down for
one process is down for all, and the web processes then go to the database.

Entries hold values, not model instances: every request gets its own User and DeviceToken (views
cache related objects on them). An entry is used only while its token needs no write (last used
within TOKEN_TOUCH_SECONDS, within its idle limit); otherwise the request takes the database path,
which records the use or ends the token, and remembers the fresh rows.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.db import transaction

from backend.core.circuit import Circuit

log = logging.getLogger(__name__)

# How long an entry may serve without being read again from the database: only a bound for the
# one gap above; revocation is seen through the generation on the next request.
ENTRY_SECONDS = 30.0
MAX_ENTRIES = 10_000
_GENERATION_KEY = "auth-generation"

_circuit = Circuit(pause_seconds=2.0)
_lock = threading.Lock()


@dataclass(frozen=True, slots=True)
class Entry:
    generation: bytes
    loaded_at: float  # time.monotonic()
    token_values: tuple[Any, ...]
    user_values: tuple[Any, ...]


_entries: OrderedDict[str, Entry] = OrderedDict()
# One Redis client per server address, not per cache object: Django's `caches` hands each thread (and
# each settings change) a cache object of its own, and a client per object left a connection open
# for each (over a thousand in the test suite, where every test has its own KEY_PREFIX).
_clients: dict[str, Any] = {}


def _redis() -> tuple[Any, str]:
    """The shared cache's Redis client and the generation's key (under the cache's KEY_PREFIX)."""
    cache = caches["default"]
    location = str(settings.CACHES["default"].get("LOCATION", ""))
    client = _clients.get(location)
    if client is None:
        client = _clients[location] = cache._cache.get_client(write=True)  # type: ignore[attr-defined]
    return client, cache.make_key(_GENERATION_KEY)


def generation() -> bytes | None:
    """The current generation, or None when Redis does not answer (then: the database, no entry)."""
    if not _circuit.allows():
        return None
    try:
        client, key = _redis()
        value = client.get(key)
        if value is None:  # first use, or Redis restarted: a value no entry carries
            client.set(key, secrets.token_hex(16), nx=True)
            value = client.get(key)
    except Exception:  # any Redis failure means: trust the database alone
        _circuit.failed()
        forget_all()
        log.warning("token cache: Redis unavailable; tokens are checked in the database", exc_info=True)
        return None
    _circuit.succeeded()
    return value if isinstance(value, bytes) else None


def _bump() -> None:
    try:
        client, key = _redis()
        client.set(key, secrets.token_hex(16))
    except Exception:  # the revocation itself is in the database and stands
        log.error(
            "token cache: could not publish a revocation to Redis; other processes see it within %ss",
            ENTRY_SECONDS,
            exc_info=True,
        )
    forget_all()


def auth_state_changed() -> None:
    """A token or user changed in a way a cached check must not outlive: every process re-reads.
    Now (this transaction's own later requests, and tests) and after the commit (everyone else's
    reads of the state before the commit carry the first bump's generation)."""
    _bump()
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(_bump)


def lookup(digest: str, current: bytes) -> Entry | None:
    with _lock:
        entry = _entries.get(digest)
    if entry is None:
        return None
    if entry.generation != current or time.monotonic() - entry.loaded_at > ENTRY_SECONDS:
        forget(digest)
        return None
    return entry


def peek(digest: str) -> Entry | None:
    """The entry, whatever the generation: only for a caller that checks the token in the
    database itself, in the statement it runs anyway (BearerVerifiedInStatement)."""
    with _lock:
        entry = _entries.get(digest)
    if entry is None or time.monotonic() - entry.loaded_at > ENTRY_SECONDS:
        return None
    return entry


def remember(digest: str, current: bytes, token_values: tuple[Any, ...], user_values: tuple[Any, ...]) -> None:
    entry = Entry(current, time.monotonic(), token_values, user_values)
    with _lock:
        _entries[digest] = entry
        _entries.move_to_end(digest)
        while len(_entries) > MAX_ENTRIES:
            _entries.popitem(last=False)


def forget(digest: str) -> None:
    with _lock:
        _entries.pop(digest, None)


def forget_all() -> None:
    with _lock:
        _entries.clear()
