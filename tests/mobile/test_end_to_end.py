"""End to end against a live CareLoop server: the phone enrolls with the nurse's code, records a
grade 4 platelet count while the server is unreachable, reconnects and syncs; the alert is raised
on the server and comes back to the phone with its status. The app's own engine does the work,
headless (the UI tier drives the screens against the fake server)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from backend.accounts.models import Clinic
from backend.accounts.services import staff_create
from backend.alerts.grading import ungraded_sweep
from backend.alerts.models import Alert
from backend.alerts.services import alert_acknowledge
from backend.patients.services import RegimenInput, patient_create
from backend.records.models import LabResult
from mobile.api import ApiClient, Unreachable
from mobile.journal import Journal
from mobile.presenters import enroll
from mobile.presenters.today import TodayPresenter
from mobile.store import ACCEPTED, PENDING, Store
from mobile.sync import SyncEngine
from tests.mobile.conftest import NY

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def no_broker(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[dict[str, Any]]]:
    """The sync's hand-off to Celery, recorded instead of sent: the test grades like the worker."""
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr("backend.records.apis.grading_enqueue_on_commit", lambda **kw: calls.append(kw))
    yield calls


def _closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


def test_a_grade_4_count_recorded_offline_reaches_the_server_and_its_alert_comes_back(
    live_server: Any, tmp_path: Path, no_broker: list[dict[str, Any]]
) -> None:
    nurse, _ = staff_create(username="nurse.e2e", password="correct-horse-battery", role="nurse", clinic_name="E2E")
    Clinic.objects.filter(pk=nurse.clinic_id).update(phone="+1 555 0199")
    patient, code = patient_create(
        nurse=nurse,
        display_name="Eve Tooend",
        timezone_name="America/New_York",
        regimen_input=RegimenInput(datetime.now(NY).date() - timedelta(days=14), Decimal(4), Decimal(25), Decimal(40)),
    )

    # 1. The phone enrolls with the printed code.
    store = Store(tmp_path / "phone.sqlite3")
    api = ApiClient(live_server.url, timeout=10)
    enroll.apply(store, api.enroll(code=enroll.clean_code(code.lower()), device_name="e2e phone"))
    assert store.get_json("clinic") == {"name": "E2E", "phone": "+1 555 0199"}

    def now() -> datetime:
        return datetime.now(UTC)

    engine = SyncEngine(store, api, now=now)
    journal = Journal(store, now=now)

    # 2. No signal: the reading is saved, graded and advised on the phone alone.
    api.base_url = _closed_port_url()
    recorded = journal.record_lab("platelets", 18, "10^9/L", now())
    assert recorded.grade.grade == 4 and recorded.alert is not None and recorded.alert.severity == "critical"
    with pytest.raises(Unreachable):
        engine.sync_once()
    assert store.entry(recorded.entry_id).state == PENDING  # type: ignore[union-attr]
    offline = TodayPresenter(store, journal).view(now())
    assert [b.level for b in offline.banners][:2] == ["critical", "hold"]
    assert not LabResult.objects.exists()

    # 3. Back online: the entry goes, once.
    api.base_url = live_server.url
    engine.sync_until_drained()
    assert store.entry(recorded.entry_id).state == ACCEPTED  # type: ignore[union-attr]
    stored = LabResult.objects.get()
    assert (str(stored.id), stored.value, stored.unit, stored.patient_id) == (
        recorded.entry_id,
        Decimal(18),
        "10^9/L",
        patient.pk,
    )
    assert [str(i) for i in no_broker[0]["lab_ids"]] == [recorded.entry_id]

    # 4. The worker grades it (here the sweeper's code path, run in-process).
    assert ungraded_sweep(older_than=timedelta(0)).graded == 1
    alert = Alert.objects.get()
    assert (alert.kind, alert.grade, alert.severity, alert.hold_drugs) == (
        "thrombocytopenia",
        4,
        "critical",
        ["ixazomib", "lenalidomide"],
    )

    # 5. The next sync brings the alert back to the phone, with its status.
    engine.sync_once()
    [mine] = store.alerts()
    assert (mine["id"], mine["status"], mine["source"]["id"]) == (str(alert.id), "open", recorded.entry_id)
    assert mine["patient_advice"] == recorded.alert.patient_advice  # the phone said what the server says
    banners = TodayPresenter(store, journal).view(now()).banners
    assert banners[0].title == "Call your care team now" and "+1 555 0199" in banners[0].action_text

    # 6. The nurse acknowledges it; the phone sees "your care team has seen this".
    alert_acknowledge(user=nurse, alert_id=str(alert.id))
    engine.sync_once()
    assert [a["status"] for a in store.alerts()] == ["acknowledged"]

    # A replay of the same entry is harmless: accepted, nothing new on the server.
    replay = api.sync({"cursor": None, "lab_results": [store.entry(recorded.entry_id).item]})  # type: ignore[union-attr]
    assert replay["accepted"] == [recorded.entry_id] and LabResult.objects.count() == 1
    assert Alert.objects.count() == 1
    store.close()
