"""The phone's SQLite store: entries survive, the outbox moves only on the server's word, rejected
entries keep their reasons until read, alerts upsert by id, sign-out wipes everything."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from mobile.store import ACCEPTED, PENDING, REJECTED, Store
from tests.mobile.conftest import enrolled


def _add(store: Store, entry_id: str, created_at: str, *, section: str = "dose_logs") -> None:
    store.add_entry(
        entry_id=entry_id,
        section=section,
        item={"id": entry_id, "drug": "ixazomib", "status": "taken", "taken_at": "2026-11-15T09:00:00-05:00"},
        at="2026-11-15T09:00:00-05:00",
        created_at=created_at,
    )


def test_it_keeps_entries_across_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "phone.sqlite3"
    first = Store(path)
    enrolled(first)
    _add(first, "a", "2026-11-15T09:00:00-05:00")
    first.close()

    again = Store(path)
    assert [e.id for e in again.outbox(10)] == ["a"]
    assert again.token == "t0ken"
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == 1


def test_the_outbox_stops_at_a_byte_limit_but_always_gives_the_first_entry(store: Store) -> None:
    for n, entry_id in enumerate("abc"):
        _add(store, entry_id, f"2026-11-15T09:0{n}:00-05:00")
    size = len(store._db.execute("SELECT item FROM entries WHERE id = 'a'").fetchone()[0])
    assert [e.id for e in store.outbox(10, max_bytes=2 * size)] == ["a", "b"]
    assert [e.id for e in store.outbox(10, max_bytes=2 * size + 1)] == ["a", "b"]
    assert [e.id for e in store.outbox(10, max_bytes=1)] == ["a"]
    assert [e.id for e in store.outbox(2, max_bytes=10 * size)] == ["a", "b"]


def test_the_outbox_is_oldest_first_and_moves_only_pending_entries(store: Store) -> None:
    _add(store, "b", "2026-11-15T09:01:00-05:00")
    _add(store, "a", "2026-11-15T09:00:00-05:00")
    _add(store, "c", "2026-11-15T09:02:00-05:00")
    assert [e.id for e in store.outbox(2)] == ["a", "b"]

    store.settle(accepted=["a"], rejected={"b": {"taken_at": ["Is in the future."]}})
    assert store.pending_count() == 1
    assert store.entry("a").state == ACCEPTED  # type: ignore[union-attr]
    assert store.entry("b").state == REJECTED  # type: ignore[union-attr]

    # A late, duplicated answer that now says otherwise changes nothing.
    store.settle(accepted=["b"], rejected={"a": {"x": ["no"]}})
    assert store.entry("a").state == ACCEPTED  # type: ignore[union-attr]
    assert store.entry("b").state == REJECTED  # type: ignore[union-attr]
    assert store.entry("c").state == PENDING  # type: ignore[union-attr]


def _rows(store: Store) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in store._db.execute("SELECT id, state, errors, attempts FROM entries ORDER BY id")]


def test_a_rounds_settlement_in_one_pass_is_counting_the_attempt_and_settling(tmp_path: Path) -> None:
    """settle_round(sent, ...) leaves every row as count_attempt(sent) then settle(...) did: each
    entry sent counts an attempt, only pending ones move, one left unanswered stays pending."""
    one, two = Store(tmp_path / "one.sqlite3"), Store(tmp_path / "two.sqlite3")
    for store in (one, two):
        for n, entry_id in enumerate("abcdef"):
            _add(store, entry_id, f"2026-11-15T09:0{n}:00-05:00")
        store.settle(accepted=["e"], rejected={"f": {"x": ["earlier"]}})  # settled by an earlier answer
    sent = ["a", "b", "c", "e", "f"]
    accepted, rejected = ["a", "f"], {"b": {"taken_at": ["Is in the future."]}, "e": {"x": ["late"]}}

    one.count_attempt(sent)
    one.settle(accepted=accepted, rejected=rejected)
    two.settle_round(sent, accepted=accepted, rejected=rejected)

    assert _rows(two) == _rows(one)
    assert _rows(two) == [
        ("a", ACCEPTED, None, 1),
        ("b", REJECTED, '{"taken_at": ["Is in the future."]}', 1),
        ("c", PENDING, None, 1),
        ("d", PENDING, None, 0),
        ("e", ACCEPTED, None, 1),
        ("f", REJECTED, '{"x": ["earlier"]}', 1),
    ]


def test_a_rejected_entry_keeps_its_reasons_until_the_patient_dismisses_it(store: Store) -> None:
    _add(store, "a", "2026-11-15T09:00:00-05:00")
    store.settle(accepted=[], rejected={"a": {"taken_at": ["Is in the future."]}})
    [rejected] = store.rejected()
    assert rejected.errors == {"taken_at": ["Is in the future."]}
    assert store.entries() == []  # refused entries are not history: no chart or dose shows them

    store.dismiss("a")
    assert store.rejected() == []
    assert [e.id for e in store.rejected(include_dismissed=True)] == ["a"]


def test_alerts_upsert_by_id_and_are_found_by_their_reading(store: Store) -> None:
    alert = {"id": "al-1", "status": "open", "created_at": "2026-11-15T19:00:00-05:00", "source": {"id": "r-1"}}
    assert store.upsert_alerts([alert, {"no": "id"}]) == 1
    store.upsert_alerts([{**alert, "status": "acknowledged"}])
    assert [a["status"] for a in store.alerts()] == ["acknowledged"]
    assert store.alert_for("r-1") == {**alert, "status": "acknowledged"}
    assert store.alert_for("r-2") is None


def test_entries_are_in_the_order_they_happened_whatever_the_offset(store: Store) -> None:
    for entry_id, at in (("late", "2026-11-15T10:00:00+00:00"), ("early", "2026-11-15T09:30:00-05:00")):
        store.add_entry(entry_id=entry_id, section="dose_logs", item={}, at=at, created_at=at)
    # 10:00 UTC is before 09:30 New York (14:30 UTC).
    assert [e.id for e in store.entries()] == ["late", "early"]


def test_wipe_deletes_the_session_the_entries_and_the_alerts(store: Store) -> None:
    _add(store, "a", "2026-11-15T09:00:00-05:00")
    store.upsert_alerts([{"id": "al-1", "status": "open", "created_at": ""}])
    store.wipe()
    assert (store.token, store.pending_count(), store.alerts(), store.entries()) == (None, 0, [], [])


def test_a_commit_is_one_write_of_a_log_that_survives_a_power_cut(tmp_path: Path) -> None:
    """WAL with synchronous=FULL: an entry saved is on disk, and a commit syncs one log, not the
    rollback journal's several files (bench 7: a backlog is many commits)."""
    path = tmp_path / "phone.sqlite3"
    store = Store(path)
    _add(store, "a", "2026-11-15T09:00:00-05:00")

    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store._db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_writes_in_one_transaction_are_kept_together_or_not_at_all(store: Store) -> None:
    _add(store, "a", "2026-11-15T09:00:00-05:00")

    try:
        with store.transaction():
            store.settle(accepted=["a"], rejected={})
            store.put_many({"cursor": "c1"})
            raise RuntimeError("the phone ran out of space")
    except RuntimeError:
        pass

    assert (store.entry("a").state, store.cursor) == (PENDING, None)  # type: ignore[union-attr]
    with store.transaction():
        store.settle(accepted=["a"], rejected={})
        store.put_many({"cursor": "c1"})
    assert (store.entry("a").state, store.cursor) == (ACCEPTED, "c1")  # type: ignore[union-attr]
