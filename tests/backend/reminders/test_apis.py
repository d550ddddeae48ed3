"""Specification of the reminder and adherence API: who reads and sets what, and the shapes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from backend.audit.models import AuditEvent
from backend.reminders.materialise import reminders_materialise
from backend.reminders.models import ReminderPlan
from tests.backend.reminders.support import at, log_dose, rows
from tests.backend.reminders.test_dispatch import hold
from tests.backend.support import NUMBER_EXTREMES, as_json, error_fields, placeholder, sync
from tests.factories import EnrolledPatient, Person

pytestmark = pytest.mark.django_db

REMINDERS = "/api/v1/reminders/"
PLAN = "/api/v1/reminders/plan/"
NOON_UTC = datetime(2026, 11, 8, 12, tzinfo=UTC)  # 07:00 in New York, Pat's cycle 1 day 8
REMINDER_KEYS = {"key", "kind", "due_at", "local_date", "local_time", "title", "text", "on_hold"}


@pytest.fixture(autouse=True)
def _noon(clock: Callable[[datetime], None], pat: EnrolledPatient) -> None:
    clock(NOON_UTC)


# --- GET /api/v1/reminders/ -------------------------------------------------------------------


def test_a_patient_reads_their_next_seven_days(pat: EnrolledPatient) -> None:
    response = pat.client().get(REMINDERS)
    assert response.status_code == 200
    body = response.json()
    assert {tuple(sorted(item)) for item in body} == {tuple(sorted(REMINDER_KEYS))}
    assert body[0] == {
        "key": "antiviral:2026-11-08:08:00",
        "kind": "antiviral",
        "due_at": "2026-11-08T08:00:00-05:00",
        "local_date": "2026-11-08",
        "local_time": "08:00",
        "title": "Time for your antiviral",
        "text": "Take your acyclovir 400 mg as prescribed, every day, also between cycles.",
        "on_hold": False,
    }
    # A week ahead, up to Sun 15 Nov 07:00: 14 antiviral, 7 lenalidomide, ixazomib, dexamethasone, lab.
    assert len(body) == 24
    assert body[-1]["key"] == "antiviral:2026-11-14:20:00"
    ixazomib = [item for item in body if item["kind"] == "ixazomib"]
    assert [item["due_at"] for item in ixazomib] == ["2026-11-08T22:00:00-05:00"]
    lab = [item for item in body if item["kind"] == "lab_draw"]
    # Day 8's weekly blood count (Revlimid USPI §5.3: weekly in cycles 1-2).
    assert [(item["local_date"], item["local_time"]) for item in lab] == [("2026-11-08", "08:00")]


def test_days_chooses_how_far_ahead(pat: EnrolledPatient) -> None:
    one = pat.client().get(REMINDERS, {"days": 1}).json()  # 24 h from 07:00; Nov 9 starts at 08:00
    assert [item["key"] for item in one] == [
        "antiviral:2026-11-08:08:00",
        "lab_draw:2026-11-08",
        "lenalidomide:2026-11-08",
        "dexamethasone:2026-11-08",
        "antiviral:2026-11-08:20:00",
        "ixazomib:2026-11-08",
    ]


@pytest.mark.parametrize("days", ["0", "15", "x", "1.5"])
def test_a_bad_days_is_a_400(pat: EnrolledPatient, days: str) -> None:
    response = pat.client().get(REMINDERS, {"days": days})
    assert response.status_code == 400
    assert error_fields(response) == {"days": ["Must be a whole number from 1 to 14."]}


def test_a_held_drug_says_so(pat: EnrolledPatient) -> None:
    hold(pat, ["lenalidomide"])
    body = pat.client().get(REMINDERS, {"days": 1}).json()
    held = next(item for item in body if item["kind"] == "lenalidomide")
    assert (held["on_hold"], held["title"]) == (True, "Lenalidomide is on hold")


def test_a_nurse_names_one_of_her_patients_and_the_read_is_audited(nurse: Person, pat: EnrolledPatient) -> None:
    response = nurse.client().get(REMINDERS, {"patient": str(pat.patient.pk)})
    assert response.status_code == 200
    assert response.json() == pat.client().get(REMINDERS).json()
    event = AuditEvent.objects.get(actor=nurse.user, resource="reminders")
    assert (event.action, event.patient_id) == ("read", pat.patient.pk)


@pytest.mark.parametrize("who", ["nurse", "patient"])
def test_a_blank_patient_names_no_one_and_is_refused(who: str, request: pytest.FixtureRequest) -> None:
    person: Person = request.getfixturevalue(who)

    response = person.client().get(REMINDERS, {"patient": ""})

    assert response.status_code == 400
    assert error_fields(response) == {"patient": ["Give a patient id, or leave ?patient= out."]}


def test_a_nurse_must_name_the_patient(nurse: Person) -> None:
    response = nurse.client().get(REMINDERS)
    assert response.status_code == 400
    assert error_fields(response) == {"patient": ["Name the patient: ?patient=<id>."]}


@pytest.mark.parametrize("patient_id", ["other", "not-a-uuid", "00000000-0000-0000-0000-000000000000"])
def test_another_clinics_or_an_unknown_patient_is_a_404(
    nurse: Person, other_patient: EnrolledPatient, patient_id: str
) -> None:
    wanted = str(other_patient.patient.pk) if patient_id == "other" else patient_id
    response = nurse.client().get(REMINDERS, {"patient": wanted})
    assert response.status_code == 404
    assert "Pat" not in response.content.decode() and "Otto" not in response.content.decode()


def test_a_patient_cannot_read_another_patients_reminders(pat: EnrolledPatient, other_patient: EnrolledPatient) -> None:
    assert pat.client().get(REMINDERS, {"patient": str(other_patient.patient.pk)}).status_code == 404


def test_a_caregiver_and_an_anonymous_caller_read_nothing(
    caregiver: Person, anonymous: APIClient, pat: EnrolledPatient
) -> None:
    assert caregiver.client().get(REMINDERS, {"patient": str(pat.patient.pk)}).status_code == 404
    assert anonymous.get(REMINDERS).status_code == 401


def test_the_sync_answer_carries_the_same_reminders_for_the_phone(pat: EnrolledPatient) -> None:
    body = sync(pat).json()
    assert body["reminders"] == pat.client().get(REMINDERS).json()
    assert len(body["reminders"]) == 24


# --- /api/v1/reminders/plan/ ----------------------------------------------------------------------


def test_a_patient_reads_their_plan(pat: EnrolledPatient) -> None:
    response = pat.client().get(PLAN)
    assert response.status_code == 200
    body = response.json()
    body.pop("updated_at")
    assert body == {
        "patient": str(pat.patient.pk),
        "antiviral_drug": "acyclovir 400 mg",
        "antiviral_times": ["08:00", "20:00"],
        "ixazomib_time": "22:00",
        "lenalidomide_time": "09:00",
        "dexamethasone_time": "09:00",
        "lab_draw_time": "08:00",
        "nadir_draw_cycles": 3,
    }


def test_a_patient_moves_a_time_and_the_stored_reminders_follow_at_once(pat: EnrolledPatient) -> None:
    reminders_materialise()
    response = pat.client().put(PLAN, {"ixazomib_time": "21:30", "antiviral_times": ["20:00", "07:00"]}, format="json")
    assert response.status_code == 200, response.json()
    assert (response.json()["ixazomib_time"], response.json()["antiviral_times"]) == ("21:30", ["07:00", "20:00"])
    due = {r.key: r.due_at for r in rows(pat)}
    assert due["ixazomib:2026-11-08"] == at("America/New_York", date(2026, 11, 8), 21, 30)
    assert due["antiviral:2026-11-09:07:00"] == at("America/New_York", date(2026, 11, 9), 7)
    assert "antiviral:2026-11-09:08:00" not in {r.key for r in rows(pat, status="pending")}
    event = AuditEvent.objects.get(actor=pat.user, resource="reminder_plan")
    assert (event.action, event.detail) == ("update", "antiviral_times, ixazomib_time")


def test_ixazomib_with_dexamethasone_is_refused_with_the_reason(pat: EnrolledPatient) -> None:
    response = pat.client().patch(PLAN, {"ixazomib_time": "09:30"}, format="json")
    assert response.status_code == 400
    (message,) = error_fields(response)["ixazomib_time"]
    assert message.startswith("Ixazomib is taken on an empty stomach and dexamethasone with food")
    assert ReminderPlan.objects.get(pk=pat.patient.pk).ixazomib_time.hour == 22


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"lenalidomide_time": "25:00"}, "lenalidomide_time"),
        ({"lenalidomide_time": "9am"}, "lenalidomide_time"),
        ({"antiviral_times": "08:00"}, "antiviral_times"),
        ({"antiviral_times": ["08:00", "08:00"]}, "antiviral_times"),
        ({"antiviral_times": ["01:00", "02:00", "03:00", "04:00", "05:00"]}, "antiviral_times"),
        ({"antiviral_times": ["8"]}, "antiviral_times"),
    ],
)
def test_a_bad_time_is_a_400_naming_the_field(pat: EnrolledPatient, body: dict[str, object], field: str) -> None:
    response = pat.client().put(PLAN, body, format="json")
    assert response.status_code == 400
    assert list(error_fields(response)) == [field]


@pytest.mark.parametrize("body", [{"nadir_draw_cycles": 0}, {"antiviral_drug": "valacyclovir 500 mg"}])
def test_only_the_care_team_changes_the_clinical_choices(
    pat: EnrolledPatient, nurse: Person, body: dict[str, object]
) -> None:
    refused = pat.client().put(PLAN, body, format="json")
    assert refused.status_code == 400
    assert error_fields(refused) == {next(iter(body)): ["Only your care team can change this."]}
    allowed = nurse.client().put(f"{PLAN}?patient={pat.patient.pk}", body, format="json")
    assert allowed.status_code == 200
    assert allowed.json()[next(iter(body))] == next(iter(body.values()))


@pytest.mark.parametrize("number", NUMBER_EXTREMES)
def test_nadir_draw_cycles_at_an_extreme_is_400_naming_the_field_or_stored_as_sent(
    pat: EnrolledPatient, nurse: Person, number: str
) -> None:
    body = as_json({"nadir_draw_cycles": placeholder(number)})

    response = nurse.client().put(f"{PLAN}?patient={pat.patient.pk}", body, content_type="application/json")

    stored = ReminderPlan.objects.get(pk=pat.patient.pk).nadir_draw_cycles
    if Decimal(number) == 0:  # 0 and -0: no nadir draws, within 0 to 24
        assert (response.status_code, stored) == (200, 0)
    else:
        assert response.status_code == 400
        assert list(error_fields(response)) == ["nadir_draw_cycles"]
        assert stored == 3


def test_another_clinics_nurse_cannot_touch_the_plan(other_clinic_nurse: Person, pat: EnrolledPatient) -> None:
    url = f"{PLAN}?patient={pat.patient.pk}"
    assert other_clinic_nurse.client().get(url).status_code == 404
    assert other_clinic_nurse.client().put(url, {"ixazomib_time": "21:00"}, format="json").status_code == 404
    assert ReminderPlan.objects.get(pk=pat.patient.pk).ixazomib_time.hour == 22


# --- Adherence --------------------------------------------------------------------------------------


def test_a_patient_reads_their_own_adherence(pat: EnrolledPatient) -> None:
    log_dose(pat, "ixazomib", at("America/New_York", date(2026, 11, 1), 22, 0))
    response = pat.client().get("/api/v1/adherence/")
    assert response.status_code == 200
    assert response.json()[0] == {
        "cycle": 1,
        "drug": "ixazomib",
        "scheduled": 2,
        "taken": 1,
        "late": 0,
        "missed": 0,
        "vomited": 0,
        "skipped": 0,
        "pending": 1,  # day 8, today
    }


def test_a_nurse_reads_her_patients_adherence_and_the_read_is_audited(nurse: Person, pat: EnrolledPatient) -> None:
    response = nurse.client().get(f"/api/v1/patients/{pat.patient.pk}/adherence/")
    assert response.status_code == 200
    assert [(row["cycle"], row["drug"]) for row in response.json()] == [
        (1, "ixazomib"),
        (1, "lenalidomide"),
        (1, "dexamethasone"),
        (1, "antiviral"),
    ]
    assert AuditEvent.objects.filter(actor=nurse.user, resource="adherence", patient_id=pat.patient.pk).count() == 1


def test_adherence_is_private(
    other_clinic_nurse: Person, pat: EnrolledPatient, other_patient: EnrolledPatient, caregiver: Person
) -> None:
    url = f"/api/v1/patients/{pat.patient.pk}/adherence/"
    assert other_clinic_nurse.client().get(url).status_code == 404
    assert other_patient.client().get(url).status_code == 403  # patients read their own at /adherence/
    assert caregiver.client().get("/api/v1/adherence/").status_code == 403
