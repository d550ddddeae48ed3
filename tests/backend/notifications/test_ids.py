"""backend.notifications.ids: UUID version 7 (RFC 9562 §5.7), ordered within a process."""

from __future__ import annotations

import multiprocessing
import time
import uuid
from collections.abc import Iterator

import pytest

from backend.notifications import ids
from backend.notifications.ids import uuid7


@pytest.fixture(autouse=True)
def _fresh_state() -> Iterator[None]:
    """Tests that pass a far-off clock must not leave the rest of the run counting from it."""
    ids._reset()
    yield
    ids._reset()


def test_it_is_a_version_7_rfc_9562_uuid() -> None:
    value = uuid7()
    assert value.version == 7
    assert value.variant == uuid.RFC_4122  # the "10" variant bits, RFC 9562's too
    assert (value.int >> 76) & 0xF == 7
    assert (value.int >> 62) & 0b11 == 0b10


def test_it_begins_with_the_unix_time_in_milliseconds() -> None:
    before = time.time_ns() // 1_000_000
    value = uuid7()
    after = time.time_ns() // 1_000_000
    assert before <= value.int >> 80 <= after
    assert uuid7(now_ns=1_700_000_000_123_456_789).int >> 80 >= 1_700_000_000_123


def test_ids_only_grow_within_a_process_and_never_repeat() -> None:
    made = [uuid7() for _ in range(50_000)]
    assert made == sorted(made)  # UUIDs compare as their 128-bit integers, as PostgreSQL orders them
    assert len(set(made)) == len(made)
    assert [str(u) for u in made] == sorted(str(u) for u in made)  # and as text (SQLite's char(32))


def test_in_one_millisecond_they_count_up_and_a_clock_stepping_back_keeps_the_order() -> None:
    same = [uuid7(now_ns=4_000_000_000_000_000_000) for _ in range(1000)]
    assert same == sorted(same) and len(set(same)) == 1000
    assert {u.int >> 80 for u in same} == {4_000_000_000_000}
    earlier = uuid7(now_ns=3_999_999_000_000_000_000)  # an NTP step back by a second
    assert earlier > same[-1]


def test_a_full_counter_borrows_the_next_millisecond() -> None:
    first = uuid7(now_ns=5_000_000_000_000_000_000)
    ids._last_tail = 2**74 - 1
    nxt = uuid7(now_ns=5_000_000_000_000_000_000)
    assert nxt > first
    assert nxt.int >> 80 == (first.int >> 80) + 1
    assert nxt.version == 7


def _child(queue: multiprocessing.Queue[list[uuid.UUID]]) -> None:
    queue.put([uuid7(now_ns=6_000_000_000_000_000_000) for _ in range(100)])


def test_forked_processes_do_not_count_on_from_the_parents_state() -> None:
    """Celery's prefork processes: forked after the parent made ids in the same millisecond, each
    starts over with random bits instead of making the parent's next ids (and each other's)."""
    uuid7(now_ns=6_000_000_000_000_000_000)
    context = multiprocessing.get_context("fork")
    queue: multiprocessing.Queue[list[uuid.UUID]] = context.Queue()
    children = [context.Process(target=_child, args=(queue,)) for _ in range(2)]
    for child in children:
        child.start()
    made = [queue.get(timeout=30) for _ in children]
    for child in children:
        child.join(30)
    assert len(set(made[0]) | set(made[1])) == 200
