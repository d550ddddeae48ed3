"""A new phone brings back the patient's past readings (GET /api/v1/readings/): once, after
enrollment on a phone with nothing on it, page by page after a sync, filed as already sent (never
in the outbox), idempotent by id, and resumed after a failure."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from mobile.api import ApiClient
from mobile.journal import Journal
from mobile.presenters import enroll
from mobile.presenters.trends import TrendsPresenter
from mobile.store import ACCEPTED, Store
from mobile.sync import HISTORY_KEY, SyncEngine
from tests.mobile.conftest import NOW, Clock
from tests.mobile.fake_server import CODE, FakeServer, FakeState

PAGE = 2  # small pages, so every kind takes more than one request


def lab(value: Any, days_ago: int, analyte: str = "platelets") -> dict[str, Any]:
    at = (NOW - timedelta(days=days_ago)).isoformat()
    return {
        "id": str(uuid.uuid4()),
        "analyte": analyte,
        "value": value,
        "unit": "10^9/L",
        "collected_at": at,
        "grade": 1,
    }


def symptom(severity: str, days_ago: int) -> dict[str, Any]:
    at = (NOW - timedelta(days=days_ago)).isoformat()
    return {
        "id": str(uuid.uuid4()),
        "symptom": "nausea",
        "answers": {"severity": severity},
        "reported_at": at,
        "grade": 2,
    }


def dose(days_ago: int) -> dict[str, Any]:
    at = (NOW - timedelta(days=days_ago)).isoformat()
    return {"id": str(uuid.uuid4()), "drug": "ixazomib", "status": "taken", "taken_at": at}


@pytest.fixture
def server() -> Iterator[FakeServer]:
    state = FakeState(start_date=date(2026, 11, 1), now=lambda: NOW)
    state.readings = {
        "lab": [lab(120, 1), lab(60, 3), lab(30, 8), lab(140, 20), lab(1.2, 2, "anc")],
        "symptom": [symptom("moderate", 1), symptom("mild", 4), symptom("none", 6)],
        "dose": [dose(1), dose(8)],
    }
    with FakeServer(state) as running:
        yield running


@pytest.fixture
def new_phone(tmp_path: Path, server: FakeServer) -> Iterator[Store]:
    """A fresh store, enrolled the way the enroll screen does it."""
    store = Store(tmp_path / "new-phone.sqlite3")
    enroll.apply(store, ApiClient(server.url).enroll(code=CODE, device_name="new phone"))
    yield store
    store.close()


def engine_for(store: Store, server: FakeServer) -> SyncEngine:
    engine = SyncEngine(store, ApiClient(server.url), now=Clock())
    engine.history_page = PAGE
    return engine


def readings_requests(server: FakeServer) -> list[str]:
    return [path for method, path, _ in server.state.requests if path.startswith("/api/v1/readings/")]


def all_ids(server: FakeServer) -> set[str]:
    return {row["id"] for rows in server.state.readings.values() for row in rows}


def test_a_new_phone_brings_back_every_page_of_every_kind_as_already_sent(new_phone: Store, server: FakeServer) -> None:
    engine_for(new_phone, server).sync_once()

    entries = new_phone.entries()
    assert {e.id for e in entries} == all_ids(server)
    assert {e.state for e in entries} == {ACCEPTED}
    assert len(readings_requests(server)) == 3 + 2 + 1  # 5 labs, 3 symptoms, 2 doses in pages of 2
    assert new_phone.get(HISTORY_KEY) is None  # done


def test_imported_readings_keep_the_sync_shape_without_the_grade(new_phone: Store, server: FakeServer) -> None:
    engine_for(new_phone, server).sync_once()

    sent = server.state.readings["symptom"][0]
    entry = new_phone.entry(sent["id"])
    assert entry is not None
    assert entry.section == "symptom_reports" and entry.at == sent["reported_at"]
    assert entry.item == {k: v for k, v in sent.items() if k != "grade"}


def test_imported_readings_never_enter_the_outbox(new_phone: Store, server: FakeServer) -> None:
    engine = engine_for(new_phone, server)
    engine.sync_once()

    assert new_phone.pending_count() == 0 and new_phone.outbox(1000) == []
    engine.sync_once()
    last = server.state.sync_bodies[-1]
    assert not any(last.get(section) for section in ("lab_results", "symptom_reports", "dose_logs"))


def test_it_happens_once_not_on_every_sync(new_phone: Store, server: FakeServer) -> None:
    engine = engine_for(new_phone, server)
    engine.sync_once()
    asked = len(readings_requests(server))

    engine.sync_once()

    assert len(readings_requests(server)) == asked


def test_a_second_import_inserts_nothing_twice(new_phone: Store, server: FakeServer) -> None:
    engine = engine_for(new_phone, server)
    engine.sync_once()
    before = new_phone.entries()

    enroll.apply(new_phone, ApiClient(server.url).enroll(code=CODE, device_name="again"))  # entries: not due
    assert new_phone.get(HISTORY_KEY) is None
    new_phone.put_json(HISTORY_KEY, {"lab": "", "symptom": "", "dose": ""})  # forced: every page again
    engine.sync_once()

    assert new_phone.entries() == before
    assert new_phone.get(HISTORY_KEY) is None


def test_an_entry_already_on_the_phone_is_left_as_it_is(new_phone: Store, server: FakeServer) -> None:
    mine = server.state.readings["dose"][0]
    new_phone.add_entry(
        entry_id=mine["id"], section="dose_logs", item=mine, at=mine["taken_at"], created_at=NOW.isoformat()
    )

    engine_for(new_phone, server).sync_once()

    assert len(new_phone.entries()) == len(all_ids(server))
    assert server.state.items[mine["id"]] == mine  # it went out through sync, once, as the phone's own


def test_offline_nothing_is_shown_and_a_later_sync_goes_on_where_it_stopped(
    new_phone: Store, server: FakeServer
) -> None:
    engine = engine_for(new_phone, server)
    server.state.fail_readings_with = 503

    result = engine.sync_once()  # the sync itself still succeeds

    assert result.sent == 0 and new_phone.entries() == []
    assert new_phone.get("last_sync_error") is None  # no error for the patient to see
    assert new_phone.get(HISTORY_KEY) is not None

    server.state.fail_readings_with = None
    engine.sync_once()

    assert {e.id for e in new_phone.entries()} == all_ids(server)


def test_an_import_cut_short_resumes_from_the_page_it_stopped_at(
    new_phone: Store, server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("mobile.sync.HISTORY_PAGES_PER_SYNC", 2)
    engine = engine_for(new_phone, server)

    engine.sync_once()
    assert len(new_phone.entries()) == 4  # two pages of labs
    engine.sync_once()
    engine.sync_once()

    assert {e.id for e in new_phone.entries()} == all_ids(server)
    assert len(readings_requests(server)) == 6  # no page fetched twice


def test_a_phone_with_entries_at_enrollment_fetches_nothing(tmp_path: Path, server: FakeServer, clock: Clock) -> None:
    store = Store(tmp_path / "used-phone.sqlite3")
    Journal(store, now=clock).record_dose("ixazomib", "taken", NOW)
    enroll.apply(store, ApiClient(server.url).enroll(code=CODE, device_name="used phone"))

    engine_for(store, server).sync_once()

    assert readings_requests(server) == []
    store.close()


def test_the_trend_chart_and_symptom_grid_show_the_imported_readings(new_phone: Store, server: FakeServer) -> None:
    engine_for(new_phone, server).sync_once()
    trends = TrendsPresenter(new_phone)

    chart = trends.lab_chart("platelets", NOW)
    grid = trends.symptom_grid(NOW)

    assert [p.label for p in chart.points] == ["140", "30", "60", "120"]
    assert chart.empty == ""
    [nausea] = grid.rows
    assert [c.text for c in nausea.cells if c.text] == ["0", "1", "2"]
