"""End to end against a live CareLoop server: the phone enrolls with the nurse's code, records a
grade 4 platelet count while the server is unreachable, reconnects and syncs; the alert is raised
on the server and comes back to the phone with its status. The app's own engine does the work,
headless (the UI tier drives the screens against the fake server).

Also end to end: a replaced phone enrolled with a new code brings back the patient's history as
already sent, and a clinic's stricter alert policy reaches the phone and advises offline."""

from __future__ import annotations

import json
import socket
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from backend.accounts.models import Clinic
from backend.accounts.services import staff_create, token_issue
from backend.alerts.grading import ungraded_sweep
from backend.alerts.models import Alert
from backend.alerts.services import alert_acknowledge
from backend.patients.services import RegimenInput, patient_create
from backend.records.baselines import baseline_enter
from backend.records.models import DoseLog, LabResult, SymptomReport
from backend.response.services import markers_record
from mobile import strings as S
from mobile.api import ApiClient, Unreachable
from mobile.journal import Journal
from mobile.presenters import enroll
from mobile.presenters.lab import LabPresenter
from mobile.presenters.response import ResponsePresenter
from mobile.presenters.today import TodayPresenter
from mobile.presenters.trends import TrendsPresenter
from mobile.store import ACCEPTED, PENDING, SECTIONS, Store
from mobile.sync import HISTORY_KEY, SyncEngine
from shared.alert_policy import DEFAULT_POLICY, policy_to_wire, with_overrides
from tests.mobile.conftest import NY

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def no_broker(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[dict[str, Any]]]:
    """The sync's hand-off to Celery, recorded instead of sent: the test grades like the worker."""
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr("backend.sync.services.grading_enqueue_on_commit", lambda **kw: calls.append(kw))
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


# ---- helpers for the tests below: each makes its own clinic, nurse and patient -----------------


def _now() -> datetime:
    return datetime.now(UTC)


def _nurse_and_patient(username: str, clinic: str) -> tuple[Any, Any, str]:
    """A nurse of a new clinic, and a patient on cycle 1 day 15 with a printed code."""
    nurse, _ = staff_create(username=username, password="correct-horse-battery", role="nurse", clinic_name=clinic)
    patient, code = patient_create(
        nurse=nurse,
        display_name="Ray Placed",
        timezone_name="America/New_York",
        regimen_input=RegimenInput(datetime.now(NY).date() - timedelta(days=14), Decimal(4), Decimal(25), Decimal(40)),
    )
    return nurse, patient, code


def _phone(path: Path, base_url: str, code: str, device_name: str) -> tuple[Store, ApiClient]:
    """A phone enrolled as the enroll screen does it (mobile/screens/enroll.py)."""
    store = Store(path)
    api = ApiClient(base_url, timeout=10)
    enroll.apply(store, api.enroll(code=enroll.clean_code(code), device_name=device_name))
    return store, api


def _new_code_from_the_api(base_url: str, nurse: Any, patient_id: str) -> str:
    """POST /api/v1/patients/{id}/enrollment-code/ with the nurse's own Bearer token."""
    request = urllib.request.Request(  # noqa: S310 - the live server's http:// URL
        f"{base_url}/api/v1/patients/{patient_id}/enrollment-code/",
        data=b"",
        headers={"Authorization": f"Bearer {token_issue(user=nurse, device_name='e2e desk')}"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        assert response.status == 201
        code = json.loads(response.read())["enrollment_code"]
    assert isinstance(code, str)
    return code


def _ids_on_server(model: Any, patient: Any) -> list[str]:
    """The patient's rows of one table, by id, duplicates kept."""
    return sorted(str(i) for i in model.objects.filter(patient=patient).values_list("id", flat=True))


class RecordingApi(ApiClient):
    """The phone's real client, keeping each sync body it sent."""

    def __init__(self, base_url: str, *, timeout: float) -> None:
        super().__init__(base_url, timeout=timeout)
        self.bodies: list[dict[str, Any]] = []

    def sync(self, body: Any) -> dict[str, Any]:
        self.bodies.append(dict(body))
        return super().sync(body)


# ---- a replaced phone gets its history -----------------------------------------------------------


def test_a_replaced_phone_enrolled_with_a_new_code_gets_the_history_as_already_sent(
    live_server: Any, tmp_path: Path
) -> None:
    nurse, patient, code = _nurse_and_patient("nurse.e2e.history", "E2E History")

    # 1. Phone A records labs, symptoms and doses with no signal, then syncs them.
    phone_a, api_a = _phone(tmp_path / "phone-a.sqlite3", live_server.url, code, "old phone")
    engine_a = SyncEngine(phone_a, api_a, now=_now)
    journal_a = Journal(phone_a, now=_now)
    today = datetime.now(NY).replace(microsecond=0)
    api_a.base_url = _closed_port_url()
    labs = [
        journal_a.record_lab("platelets", value, "10^9/L", today - timedelta(days=days, hours=1))
        for value, days in ((140, 6), (95, 3), (62.5, 1))
    ]
    lab_ids = [o.entry_id for o in labs]
    symptom_ids = [
        journal_a.record_symptom("nausea", {"severity": severity}, today - timedelta(days=days, hours=2)).entry_id
        for severity, days in (("mild", 4), ("moderate", 2))
    ]
    dose_ids = [
        journal_a.record_dose("lenalidomide", "taken", today - timedelta(days=2, hours=3)),
        journal_a.record_dose("dexamethasone", "taken", today - timedelta(days=1, hours=3)),
    ]
    mine = lab_ids + symptom_ids + dose_ids
    with pytest.raises(Unreachable):
        engine_a.sync_once()
    assert phone_a.pending_count() == len(mine)
    api_a.base_url = live_server.url
    engine_a.sync_until_drained()
    assert phone_a.pending_count() == 0
    assert {e.id: e.state for e in phone_a.entries()} == dict.fromkeys(mine, ACCEPTED)
    sent_by_a = {e.id: e.item for e in phone_a.entries()}

    # 2. The nurse issues a new code; phone B (nothing on it) enrolls with it and syncs.
    new_code = _new_code_from_the_api(live_server.url, nurse, str(patient.pk))
    phone_b = Store(tmp_path / "phone-b.sqlite3")
    api_b = RecordingApi(live_server.url, timeout=10)
    enroll.apply(phone_b, api_b.enroll(code=enroll.clean_code(new_code.lower()), device_name="new phone"))
    assert phone_b.get_json("patient")["id"] == str(patient.pk)
    assert phone_b.get(HISTORY_KEY) is not None  # an empty phone: the import is due
    engine_b = SyncEngine(phone_b, api_b, now=_now)
    engine_b.history_page = 2  # more than one page of labs, so paging is exercised end to end
    engine_b.sync_once()

    # 3. B holds every entry of A, as A sent it, as already sent; nothing waits in its outbox.
    assert phone_b.get(HISTORY_KEY) is None  # done in one sync
    got = phone_b.entries()
    assert {e.id: e.state for e in got} == dict.fromkeys(mine, ACCEPTED)
    assert {e.id: e.item for e in got} == sent_by_a
    assert {e.id: e.section for e in got} == (
        dict.fromkeys(lab_ids, "lab_results")
        | dict.fromkeys(symptom_ids, "symptom_reports")
        | dict.fromkeys(dose_ids, "dose_logs")
    )
    assert phone_b.pending_count() == 0 and phone_b.outbox(1000) == []

    # 4. B's next sync sends none of them, and the server holds each row exactly once.
    engine_b.sync_once()
    assert [{k: v for k, v in b.items() if k in SECTIONS} for b in api_b.bodies] == [{}, {}]
    assert _ids_on_server(LabResult, patient) == sorted(lab_ids)
    assert _ids_on_server(SymptomReport, patient) == sorted(symptom_ids)
    assert _ids_on_server(DoseLog, patient) == sorted(dose_ids)
    assert sorted(LabResult.objects.filter(patient=patient).values_list("value", flat=True)) == [
        Decimal("62.5"),
        Decimal(95),
        Decimal(140),
    ]

    # 5. B's trend chart shows A's platelet counts, oldest first.
    chart = TrendsPresenter(phone_b).lab_chart("platelets", datetime.now(NY))
    assert [p.label for p in chart.points] == ["140", "95", "62.5"]
    assert chart.empty == ""
    phone_a.close()
    phone_b.close()


# ---- the clinic's stricter policy reaches the phone ----------------------------------------------

# The clinic alerts from grade 2 platelets (below 75 ×10^9/L); the default waits for grade 3.
STRICTER = policy_to_wire(with_overrides(DEFAULT_POLICY, {"labs": {"platelets": {"min_grade": 2}}}))


def test_a_clinics_stricter_policy_reaches_the_phone_and_advises_offline(live_server: Any, tmp_path: Path) -> None:
    _, patient, code = _nurse_and_patient("nurse.e2e.policy", "E2E Policy")
    phone, api = _phone(tmp_path / "phone.sqlite3", live_server.url, code, "policy phone")
    engine = SyncEngine(phone, api, now=_now)
    journal = Journal(phone, now=_now)
    lab = LabPresenter(phone, journal)
    collected = datetime.now(NY).replace(microsecond=0) - timedelta(hours=1)

    # Under the default policy a count of 70 (grade 2) is out of range but no alert.
    before = lab.check("platelets", "70", "10^9/L", collected, save=False).outcome
    assert before is not None and before.level == "ok"

    # 1. The clinic tightens its policy; one sync brings it to the phone.
    Clinic.objects.filter(pk=patient.clinic_id).update(alert_policy=STRICTER)
    engine.sync_once()
    assert phone.get_json("alert_policy") == STRICTER == {"labs": {"platelets": {"min_grade": 2}}}

    # 2. No signal: the same count now advises at once, saved, shown on Today.
    api.base_url = _closed_port_url()
    saved = lab.check("platelets", "70", "10^9/L", collected, save=True)
    assert saved.outcome is not None and saved.outcome.level == "urgent"
    assert saved.outcome.advice != before.advice and "care team" in saved.outcome.advice
    entry = phone.entry(saved.entry_id)
    assert entry is not None and entry.state == PENDING
    assert entry.local_alert is not None and (entry.local_alert["kind"], entry.local_alert["grade"]) == (
        "thrombocytopenia",
        2,
    )
    urgent = [b for b in TodayPresenter(phone, journal).view(_now()).banners if b.level == "urgent"]
    assert [(b.title, b.text) for b in urgent] == [
        (S.ALERT_OPEN_TITLE, f"{S.alert_title('thrombocytopenia', entry.local_alert['title'])}. {S.STATUS_LOCAL}")
    ]
    with pytest.raises(Unreachable):
        engine.sync_once()
    assert not LabResult.objects.filter(patient=patient).exists()

    # 3. Back online, the server grades it with the same policy: its advice is the phone's.
    api.base_url = live_server.url
    engine.sync_until_drained()
    assert ungraded_sweep(older_than=timedelta(0)).graded == 1
    server = Alert.objects.get(patient=patient)
    assert (server.kind, server.grade, server.severity, server.patient_advice) == (
        entry.local_alert["kind"],
        2,
        entry.local_alert["severity"],
        entry.local_alert["patient_advice"],
    )
    phone.close()


def test_a_nurse_entered_baseline_reaches_the_phone_which_grades_as_the_server_does(
    live_server: Any, tmp_path: Path
) -> None:
    nurse, patient, code = _nurse_and_patient("nurse.e2e.baseline", "E2E Baseline")
    phone, api = _phone(tmp_path / "phone.sqlite3", live_server.url, code, "baseline phone")
    engine = SyncEngine(phone, api, now=_now)
    journal = Journal(phone, now=_now)
    lab = LabPresenter(phone, journal)
    collected = datetime.now(NY).replace(microsecond=0) - timedelta(hours=1)

    # Without a baseline, a creatinine of 2.11 mg/dL is grade 2 (> 1.5 x the ULN of 1.04): no alert.
    assert journal.check_lab("creatinine", 2.11, "mg/dL", collected).grade.grade == 2

    # 1. The nurse enters the patient's baseline, 0.7 mg/dL, with the API; one sync brings it over.
    baseline_enter(patient=patient, analyte="creatinine", value=0.7, unit="mg/dL", entered_by=nurse)
    engine.sync_once()
    assert phone.get_json("lab_context")["baselines"]["creatinine"]["value"] == 0.7

    # 2. No signal: 2.11 is > 3 x baseline, grade 3, and ixazomib is held at once on the phone.
    api.base_url = _closed_port_url()
    saved = lab.check("creatinine", "2.11", "mg/dL", collected, save=True)
    entry = phone.entry(saved.entry_id)
    assert entry is not None and entry.local_alert is not None
    assert (entry.local_alert["grade"], entry.local_alert["hold_drugs"]) == (3, ["ixazomib"])

    # 3. Back online, the server grades it with the same baseline and says the same to the patient.
    api.base_url = live_server.url
    engine.sync_until_drained()
    assert ungraded_sweep(older_than=timedelta(0)).graded == 1
    server = Alert.objects.get(patient=patient)
    assert (server.kind, server.grade, server.hold_drugs, server.patient_advice) == (
        "creatinine_increased",
        3,
        ["ixazomib"],
        entry.local_alert["patient_advice"],
    )
    assert "by > 3.0 × baseline 0.7 mg/dL" in server.message
    phone.close()


def test_the_care_teams_markers_reach_the_phones_is_my_treatment_working_screen(
    live_server: Any, tmp_path: Path
) -> None:
    """The nurse enters a patient's myeloma markers; after a sync the phone's screen says, from
    the server's own answer (contract §5), how the M-protein fell and what the care team calls it."""
    nurse, _ = staff_create(username="nurse.imwg", password="correct-horse-battery", role="nurse", clinic_name="IMWG")
    start = datetime.now(NY).date() - timedelta(days=70)
    patient, code = patient_create(
        nurse=nurse,
        display_name="Ray Sponse",
        timezone_name="America/New_York",
        regimen_input=RegimenInput(start, Decimal(4), Decimal(25), Decimal(40)),
    )
    items = [
        {
            "id": str(uuid),
            "marker": "serum_m_protein",
            "value": value,
            "unit": "g/dL",
            "collected_at": datetime.combine(start + timedelta(days=offset), datetime.min.time(), NY)
            .replace(hour=9)
            .isoformat(),
        }
        for uuid, (offset, value) in zip(
            (
                "4d2c1b0a-0000-4000-8000-000000000001",
                "4d2c1b0a-0000-4000-8000-000000000002",
                "4d2c1b0a-0000-4000-8000-000000000003",
            ),
            ((-2, 2.5), (28, 1.1), (56, 0.9)),
            strict=True,
        )
    ]
    markers_record(patient=patient, body=items, user=nurse, now=_now())

    store = Store(tmp_path / "phone.sqlite3")
    api = ApiClient(live_server.url, timeout=10)
    enroll.apply(store, api.enroll(code=enroll.clean_code(code.lower()), device_name="e2e phone"))
    SyncEngine(store, api, now=_now).sync_once()
    view = ResponsePresenter(store).view(_now())
    assert view.headline == "Your M-protein has fallen 64% since you started."
    assert view.status.startswith("Your care team calls this a partial response, confirmed on")


# ---- a nurse's dose decision reaches the phone ---------------------------------------------------


def test_a_nurses_dose_decision_shows_on_the_phone_from_its_next_sync(live_server: Any, tmp_path: Path) -> None:
    from backend.patients.dose_decisions import DecisionInput, dose_decision_record

    nurse, patient, code = _nurse_and_patient("nurse.doses", "Doses")
    store, api = _phone(tmp_path / "phone.sqlite3", live_server.url, code, "dose phone")
    engine, journal = SyncEngine(store, api, now=_now), Journal(store, now=_now)
    engine.sync_once()

    def today_doses() -> list[str]:
        return [row.name for row in TodayPresenter(store, journal).view(_now()).doses if row.drug != "antiviral"]

    before = today_doses()  # cycle 1 day 15: ixazomib, lenalidomide, dexamethasone
    assert any("25 mg" in name for name in before) and any("Ixazomib" in name for name in before) and len(before) == 3

    dose_decision_record(patient=patient, data=DecisionInput(action="reduce", drug="lenalidomide"), decided_by=nurse)
    dose_decision_record(patient=patient, data=DecisionInput(action="stop", drug="ixazomib"), decided_by=nurse)
    assert today_doses() == before  # nothing changes on the phone until it syncs
    engine.sync_once()

    after = today_doses()
    assert len(after) == 2 and any("20 mg" in name for name in after)
    assert not any("25 mg" in name or "Ixazomib" in name for name in after)
    store.close()
