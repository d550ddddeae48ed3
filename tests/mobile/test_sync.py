"""The sync engine and runner against a scripted server: what is sent (contract §3), how answers
are applied, and what happens when the network or the server fails. Replays must be harmless."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable
from typing import Any

import pytest

from mobile import strings as S
from mobile.api import ApiClient, ApiError, Unreachable
from mobile.config import RESUME_S
from mobile.journal import Journal
from mobile.store import ACCEPTED, PENDING, REJECTED, Store
from mobile.sync import Backoff, SignedOut, SyncEngine, SyncRunner, SyncStatus
from tests.mobile.conftest import NOW, Clock


class ScriptedApi(ApiClient):
    """Answers sync like the server would (every id accepted unless told otherwise), or fails as
    scripted; records every body it was sent."""

    def __init__(self) -> None:
        super().__init__("http://phone.test")
        self.bodies: list[dict[str, Any]] = []
        self.failures: list[Exception] = []
        self.reject: dict[str, dict[str, list[str]]] = {}
        self.alerts: list[dict[str, Any]] = []
        self.seen: set[str] = set()
        self.during: Callable[[], None] | None = None
        self.plan: dict[str, Any] = {"ixazomib_time": "22:00", "antiviral_times": ["08:00", "20:00"]}
        self.plan_calls: list[dict[str, Any] | None] = []
        self.plan_failure: Exception | None = None

    def reminder_plan(self) -> dict[str, Any]:
        self.plan_calls.append(None)
        if self.plan_failure:
            raise self.plan_failure
        return self.plan

    def reminder_plan_update(self, changes: Any) -> dict[str, Any]:
        self.plan_calls.append(dict(changes))
        if self.plan_failure:
            raise self.plan_failure
        self.plan = {**self.plan, **changes}
        return self.plan

    def sync(self, body: Any) -> dict[str, Any]:
        self.bodies.append(body)
        if self.during is not None:
            self.during()
        if self.failures:
            raise self.failures.pop(0)
        ids = [
            item["id"] for section in ("lab_results", "symptom_reports", "dose_logs") for item in body.get(section, [])
        ]
        self.seen.update(ids)
        return {
            "accepted": [i for i in ids if i not in self.reject],
            "rejected": [
                {"id": i, "section": "lab_results", "errors": self.reject[i]} for i in ids if i in self.reject
            ],
            "cursor": f"c1.{len(self.bodies)}",
            "alerts": self.alerts,
            "regimen": {"start_date": "2026-11-01", "timezone": "America/New_York"},
            "reminders": [],
            "server_time": NOW.isoformat(),
        }


@pytest.fixture
def api() -> ScriptedApi:
    return ScriptedApi()


@pytest.fixture
def engine(store: Store, api: ScriptedApi, clock: Clock) -> SyncEngine:
    return SyncEngine(store, api, now=clock)


def test_it_sends_every_waiting_entry_by_section_with_the_token_and_no_cursor_first(
    engine: SyncEngine, journal: Journal, api: ScriptedApi, store: Store
) -> None:
    lab = journal.record_lab("platelets", 18, "10^9/L", NOW).entry_id
    report = journal.record_symptom("nausea", {"severity": "mild"}, NOW).entry_id
    dose = journal.record_dose("ixazomib", "taken", NOW)

    result = engine.sync_once()

    [body] = api.bodies
    assert body["cursor"] is None
    assert [i["id"] for i in body["lab_results"]] == [lab]
    assert [i["id"] for i in body["symptom_reports"]] == [report]
    assert [i["id"] for i in body["dose_logs"]] == [dose]
    assert api.token == "t0ken"
    assert (result.sent, result.accepted, result.more) == (3, 3, False)
    assert store.pending_count() == 0 and store.cursor == "c1.1"
    assert store.get_json("regimen")["start_date"] == "2026-11-01"
    engine.sync_once()
    assert api.bodies[1] == {"cursor": "c1.1"}  # nothing waiting: the cursor alone, to fetch alerts


def test_a_rejected_entry_keeps_the_servers_reason(engine: SyncEngine, journal: Journal, api: ScriptedApi) -> None:
    entry_id = journal.record_lab("platelets", 18, "10^9/L", NOW).entry_id
    api.reject[entry_id] = {"id": ["This id was already used for a different entry."]}
    engine.sync_once()
    entry = engine.store.entry(entry_id)
    assert entry is not None and entry.state == REJECTED
    assert entry.errors == {"id": ["This id was already used for a different entry."]}


def test_a_lost_answer_means_the_same_items_go_again_and_are_settled_once(
    engine: SyncEngine, journal: Journal, api: ScriptedApi, store: Store
) -> None:
    entry_id = journal.record_lab("platelets", 18, "10^9/L", NOW).entry_id
    api.failures.append(Unreachable("reset by peer"))
    with pytest.raises(Unreachable):
        engine.sync_once()
    assert store.entry(entry_id).state == PENDING  # type: ignore[union-attr]
    assert store.get("last_sync_error") == S.SYNC_ERROR_OFFLINE

    engine.sync_once()
    assert api.bodies[0]["lab_results"] == api.bodies[1]["lab_results"]  # same id, same content
    assert store.entry(entry_id).state == ACCEPTED  # type: ignore[union-attr]
    assert store.entry(entry_id).attempts == 2  # type: ignore[union-attr]
    assert store.get("last_sync_error") is None


def test_alerts_from_the_server_are_stored_and_updated_by_id(
    engine: SyncEngine, api: ScriptedApi, store: Store
) -> None:
    api.alerts = [{"id": "a1", "status": "open", "created_at": NOW.isoformat(), "source": {"id": "r1"}}]
    engine.sync_once()
    api.alerts = [{**api.alerts[0], "status": "acknowledged"}]
    engine.sync_once()
    assert [a["status"] for a in store.alerts()] == ["acknowledged"]


def test_a_revoked_token_signs_the_phone_out_and_keeps_every_entry(
    engine: SyncEngine, journal: Journal, api: ScriptedApi, store: Store
) -> None:
    journal.record_lab("platelets", 18, "10^9/L", NOW)
    api.failures.append(ApiError(401, {"detail": ["Invalid token."]}))
    with pytest.raises(SignedOut):
        engine.sync_once()
    assert engine.status().signed_out
    assert store.pending_count() == 1
    assert store.get("last_sync_error") == S.SYNC_ERROR_SIGNED_OUT


def test_a_cursor_the_server_refuses_is_dropped_and_the_sync_retried(
    engine: SyncEngine, api: ScriptedApi, store: Store
) -> None:
    store.put("cursor", "from-another-server")
    api.failures.append(ApiError(400, {"cursor": ["Not a cursor this server issued: send null to start over."]}))
    engine.sync_once()
    assert [b["cursor"] for b in api.bodies] == ["from-another-server", None]
    assert store.cursor == "c1.2"


def test_an_entry_made_while_a_sync_is_in_flight_waits_for_the_next_round(
    engine: SyncEngine, journal: Journal, api: ScriptedApi, store: Store
) -> None:
    journal.record_dose("ixazomib", "taken", NOW)
    api.during = lambda: (journal.record_dose("lenalidomide", "taken", NOW), setattr(api, "during", None))
    result = engine.sync_until_drained()
    assert len(api.bodies) == 2 and not result.more
    assert store.pending_count() == 0


def test_a_large_outbox_goes_in_batches(
    engine: SyncEngine, journal: Journal, api: ScriptedApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("mobile.sync.SYNC_BATCH", 2)
    monkeypatch.setattr("mobile.sync.SYNC_BATCH_MAX", 2)
    for _ in range(5):
        journal.record_dose("ixazomib", "taken", NOW)
    engine.sync_until_drained()
    assert [len(b.get("dose_logs", [])) for b in api.bodies] == [2, 2, 1]


def _sent(api: ScriptedApi) -> list[int]:
    return [sum(len(b.get(s, [])) for s in ("lab_results", "symptom_reports", "dose_logs")) for b in api.bodies]


def _round_trips_take(engine: SyncEngine, api: ScriptedApi, seconds: Callable[[], float]) -> None:
    """Each sync request takes `seconds()` on the engine's timer."""
    clock = [0.0]
    engine.timer = lambda: clock[0]

    def elapse() -> None:
        clock[0] += seconds()
        api.during = elapse

    api.during = elapse


def test_on_a_fast_link_each_round_doubles_up_to_the_servers_cap(
    engine: SyncEngine, journal: Journal, api: ScriptedApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A backlog goes in a few large rounds (each round costs the server an answer and the phone a
    commit), never more items than the server takes in one sync."""
    monkeypatch.setattr("mobile.sync.SYNC_BATCH", 2)
    monkeypatch.setattr("mobile.sync.SYNC_BATCH_MAX", 8)
    _round_trips_take(engine, api, lambda: 0.1)
    for _ in range(25):
        journal.record_dose("ixazomib", "taken", NOW)
    engine.sync_until_drained()
    assert _sent(api) == [2, 4, 8, 8, 3]


def test_the_real_cap_is_the_servers_items_per_sync() -> None:
    from mobile.sync import SYNC_BATCH_MAX
    from shared.sync_schema import MAX_ITEMS_PER_SYNC

    assert SYNC_BATCH_MAX == MAX_ITEMS_PER_SYNC


def test_a_slow_round_halves_the_next_but_never_below_the_first_size(
    engine: SyncEngine, journal: Journal, api: ScriptedApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("mobile.sync.SYNC_BATCH", 2)
    monkeypatch.setattr("mobile.sync.SYNC_BATCH_MAX", 8)
    times = iter([0.1, 0.1, 5.0, 5.0, 5.0, 0.1])  # a slow line after two rounds
    _round_trips_take(engine, api, lambda: next(times))
    for _ in range(21):
        journal.record_dose("ixazomib", "taken", NOW)
    engine.sync_until_drained()
    assert _sent(api) == [2, 4, 8, 4, 2, 1]


def test_a_round_that_fails_makes_the_next_one_small_again(
    engine: SyncEngine, journal: Journal, api: ScriptedApi, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("mobile.sync.SYNC_BATCH", 2)
    monkeypatch.setattr("mobile.sync.SYNC_BATCH_MAX", 8)
    _round_trips_take(engine, api, lambda: 0.1)
    for _ in range(20):
        journal.record_dose("ixazomib", "taken", NOW)
    engine.sync_once()
    engine.sync_once()
    api.failures.append(Unreachable("timed out"))
    with pytest.raises(Unreachable):
        engine.sync_once()
    engine.sync_once()
    assert _sent(api) == [2, 4, 8, 2]
    assert store.pending_count() == 12  # the failed round's 8 stayed, and went again


def test_a_short_round_at_the_end_of_the_outbox_does_not_grow_the_next(
    engine: SyncEngine, journal: Journal, api: ScriptedApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("mobile.sync.SYNC_BATCH", 4)
    monkeypatch.setattr("mobile.sync.SYNC_BATCH_MAX", 16)
    _round_trips_take(engine, api, lambda: 0.1)
    journal.record_dose("ixazomib", "taken", NOW)
    engine.sync_once()
    assert engine.batch_size == 4


def test_a_round_carries_no_more_item_json_than_the_byte_limit(
    engine: SyncEngine, journal: Journal, api: ScriptedApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server refuses a body over its size limit as a whole: large items go in smaller rounds."""
    for _ in range(5):
        journal.record_dose("ixazomib", "taken", NOW)
    item_bytes = max(len(json.dumps(e.item, sort_keys=True)) for e in engine.store.outbox(10))
    monkeypatch.setattr("mobile.sync.SYNC_BATCH_BYTES", 2 * item_bytes)
    engine.sync_until_drained()
    assert _sent(api) == [2, 2, 1]


def test_a_backlog_asks_for_the_plan_only_once_it_is_drained(
    engine: SyncEngine, journal: Journal, api: ScriptedApi, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A phone back from weeks offline sends its backlog batch after batch; the plan, history and
    response requests wait for the last round instead of following every batch."""
    monkeypatch.setattr("mobile.sync.SYNC_BATCH", 2)
    for _ in range(5):
        journal.record_dose("ixazomib", "taken", NOW)
    first = engine.sync_once()
    assert first.more and api.plan_calls == []
    engine.sync_until_drained()
    assert store.pending_count() == 0 and api.plan_calls == [None]


def test_a_flood_beyond_the_round_limit_comes_back_at_once_not_after_the_interval(
    engine: SyncEngine, journal: Journal, api: ScriptedApi, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("mobile.sync.SYNC_BATCH", 1)
    monkeypatch.setattr("mobile.sync.SYNC_BATCH_MAX", 1)
    monkeypatch.setattr("mobile.sync.MAX_ROUNDS", 2)
    for _ in range(3):
        journal.record_dose("ixazomib", "taken", NOW)
    runner = SyncRunner(engine, lambda status: None, interval=300)
    assert runner.run_once() == RESUME_S
    assert store.pending_count() == 1
    assert runner.run_once() == 300
    assert store.pending_count() == 0


def test_backoff_doubles_from_5_seconds_to_a_10_minute_cap_with_jitter() -> None:
    top = Backoff(jitter=lambda: 1.0)
    assert [top.delay(n) for n in (1, 2, 3, 4)] == [5.0, 10.0, 20.0, 40.0]
    assert top.delay(20) == 600.0
    assert Backoff(jitter=lambda: 0.0).delay(3) == 10.0  # never less than half
    assert top.delay(0) == 0.0


def test_the_runner_backs_off_on_failure_and_returns_to_its_interval(engine: SyncEngine, api: ScriptedApi) -> None:
    seen: list[SyncStatus] = []
    runner = SyncRunner(engine, seen.append, interval=300, backoff=Backoff(jitter=lambda: 1.0))
    api.failures.extend([Unreachable("down"), Unreachable("down")])
    assert runner.run_once() == 5.0
    assert runner.run_once() == 10.0
    assert seen[-1].retry_at is not None and seen[-1].last_error == S.SYNC_ERROR_OFFLINE
    assert runner.run_once() == 300
    assert runner.failures == 0 and seen[-1].last_error is None
    assert [s.running for s in seen[:2]] == [True, False]


def test_a_bug_in_a_sync_does_not_stop_the_runner(engine: SyncEngine, api: ScriptedApi) -> None:
    runner = SyncRunner(engine, lambda _s: None, backoff=Backoff(jitter=lambda: 1.0))
    api.failures.append(KeyError("surprise"))
    assert runner.run_once() == 5.0
    assert engine.store.get("last_sync_error") == S.SYNC_ERROR_UNEXPECTED


def test_the_runner_thread_syncs_on_start_and_on_request(engine: SyncEngine, api: ScriptedApi) -> None:
    done = threading.Event()
    runner = SyncRunner(engine, lambda s: done.set() if not s.running else None, interval=3600)
    runner.start()
    try:
        assert done.wait(5)
        done.clear()
        runner.request()
        assert done.wait(5)
    finally:
        runner.stop()
    assert len(api.bodies) == 2


def test_the_plan_is_fetched_after_a_sync_and_the_patients_times_are_sent(
    engine: SyncEngine, api: ScriptedApi, store: Store
) -> None:
    from mobile.presenters.settings import SettingsPresenter

    engine.sync_once()
    assert api.plan_calls == [None] and store.get_json("reminder_plan") == api.plan
    engine.sync_once()
    assert api.plan_calls == [None]  # fetched again only after PLAN_REFRESH

    assert SettingsPresenter(store).shift_time("ixazomib_time", 30) == ""
    engine.sync_once()
    sent = api.plan_calls[-1]
    assert sent is not None and sent["ixazomib_time"] == "22:30"
    assert "antiviral_drug" not in sent  # the care team's field
    assert store.get("reminder_plan_dirty") is None


def test_a_plan_the_server_refuses_does_not_fail_the_sync(engine: SyncEngine, api: ScriptedApi, store: Store) -> None:
    from mobile.presenters.settings import SettingsPresenter

    SettingsPresenter(store).shift_time("lab_draw_time", 30)
    api.plan_failure = ApiError(400, {"ixazomib_time": ["Too close to dexamethasone."]})
    engine.sync_once()
    assert store.get("reminder_plan_dirty") is None and store.get("last_sync_error") is None
    api.plan_failure = Unreachable("down")
    SettingsPresenter(store).shift_time("lab_draw_time", 30)
    engine.sync_once()
    assert store.get("reminder_plan_dirty") == "1"  # kept: it goes with the next sync


def test_an_answer_is_kept_whole_or_not_at_all(
    engine: SyncEngine, journal: Journal, api: ScriptedApi, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Settled entries, alerts and the cursor are one commit: an answer the phone could not store
    (its disk full) leaves the entries pending, to go again, and the cursor where it was."""
    entry_id = journal.record_lab("platelets", 18, "10^9/L", NOW).entry_id

    def full(*_: Any, **__: Any) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(store, "put_many", full)
    with pytest.raises(sqlite3.OperationalError):
        engine.sync_once()
    monkeypatch.undo()

    assert (store.entry(entry_id).state, store.cursor) == (PENDING, None)  # type: ignore[union-attr]
    engine.sync_once()
    assert store.entry(entry_id).state == ACCEPTED  # type: ignore[union-attr]
    assert store.cursor is not None
