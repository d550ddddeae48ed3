"""Time-ordered ids (UUID version 7, RFC 9562 §5.7) for inbox items written in bulk.

A random id (v4) puts each new row at a random leaf page of the primary-key index: once the index
outgrows the buffers (bench 4 writes a million inbox items), that is a page read and a page write per
row. A v7 id begins with the Unix time in milliseconds, so new rows append at the index's right edge.

Within a process the ids only grow (RFC 9562 §6.2, method 2: the 74 bits after the time are a random
start each new millisecond, then counted up; a clock that steps back keeps counting from the last
id). A forked child (a Celery prefork process) starts over with fresh random bits, so two children
never count on from the same parent state. Python 3.11 has no `uuid.uuid7`.
"""

from __future__ import annotations

import os
import threading
import time
import uuid

_TAIL_BITS = 74  # rand_a (12 bits) and rand_b (62 bits), used as one counter
_RAND_B_BITS = 62
# A new millisecond starts the counter at 73 random bits: the top bit clear leaves room to count up.
_START_BITS = _TAIL_BITS - 1

_lock = threading.Lock()
_last_ms = -1
_last_tail = 0


def _reset() -> None:
    global _last_ms, _last_tail
    _last_ms, _last_tail = -1, 0


os.register_at_fork(after_in_child=_reset)


def _next(ms: int) -> tuple[int, int]:
    """The (milliseconds, tail) of the next id, after the last one this process made."""
    global _last_ms, _last_tail
    if ms > _last_ms:
        _last_ms, _last_tail = ms, int.from_bytes(os.urandom(10), "big") >> (80 - _START_BITS)
    else:  # the same millisecond, or the clock stepped back: count on from the last id
        _last_tail += 1
        if _last_tail >> _TAIL_BITS:  # 2**73 ids in one millisecond: borrow the next one
            _last_ms, _last_tail = _last_ms + 1, 0
    return _last_ms, _last_tail


def uuid7(*, now_ns: int | None = None) -> uuid.UUID:
    """A UUID version 7, greater than every id this process made before (`now_ns`: for tests)."""
    ms = (time.time_ns() if now_ns is None else now_ns) // 1_000_000
    with _lock:
        ms, tail = _next(ms)
    value = (ms & (2**48 - 1)) << 80  # unix_ts_ms
    value |= 0x7 << 76  # ver
    value |= (tail >> _RAND_B_BITS) << 64  # rand_a
    value |= 0b10 << 62  # var
    value |= tail & (2**_RAND_B_BITS - 1)  # rand_b
    return uuid.UUID(int=value)
