"""Specification of the alerts API (contract §2, §4): who sees which alerts, and what nurses do
with them."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from backend.alerts.models import Alert
from backend.audit.models import AuditEvent
from backend.patients.models import Patient
from tests.backend.audit.support import last_audit_id
from tests.backend.support import ALERTS_URL, CONTRACT_ALERT_KEYS, error_fields, grade_all, rows, sync
from tests.factories import EnrolledPatient, Person, lab_item, make_patient, symptom_item

# Alerts are episodes (contract §4): one patient's several alerts are of several kinds.
ONE_OF_EACH_KIND: list[dict[str, Any]] = [
    {},  # grade 4 platelets
    {"analyte": "anc", "value": 0.3},
    {"analyte": "wbc", "value": 0.5},
    {"symptom": "diarrhea", "answers": {"stools_above_usual": 8}},
    {"analyte": "hemoglobin", "value": 7.5, "unit": "g/dL"},
]


def raise_alert(patient: EnrolledPatient, *, minutes_ago: int = 0, **reading: Any) -> Alert:
    """One alert for the patient, through sync and grading: grade 4 platelets unless told otherwise."""
    if "symptom" in reading:
        body = {"symptom_reports": [symptom_item(reading["symptom"], reading["answers"])]}
        source = body["symptom_reports"][0]["id"]
    else:
        analyte, value = reading.get("analyte", "platelets"), reading.get("value", 20)
        body = {"lab_results": [lab_item(analyte, value, reading.get("unit", "10^9/L"))]}
        source = body["lab_results"][0]["id"]
    assert sync(patient, **body).json()["accepted"] == [source]
    grade_all()
    alert = Alert.objects.get(source_id=source)
    if minutes_ago:
        moment = timezone.now() - timedelta(minutes=minutes_ago)
        Alert.objects.filter(pk=alert.pk).update(created_at=moment, updated_at=moment)
        alert.refresh_from_db()
    return alert


def acknowledge(person: Person, alert_id: object) -> Any:
    return person.client().post(f"{ALERTS_URL}{alert_id}/acknowledge/")


def resolve(person: Person, alert_id: object, body: Any = None) -> Any:
    return person.client().post(f"{ALERTS_URL}{alert_id}/resolve/", body if body is not None else {}, format="json")


def ids(response: Any) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in rows(response)]


# --- GET /api/v1/alerts/ ---------------------------------------------------------------------


def test_a_nurse_sees_her_clinics_open_alerts_only(
    nurse: Person, patient: EnrolledPatient, other_patient: EnrolledPatient
) -> None:
    mine = raise_alert(patient)
    raise_alert(other_patient)

    response = nurse.client().get(ALERTS_URL, {"status": "open"})

    assert ids(response) == [str(mine.pk)]
    assert "Otto" not in response.content.decode()


def test_a_nurse_sees_every_patient_of_her_clinic(nurse: Person, patient: EnrolledPatient) -> None:
    second = make_patient(nurse, name="Sam Second")
    first_alert, second_alert = raise_alert(patient, minutes_ago=5), raise_alert(second)

    assert ids(nurse.client().get(ALERTS_URL)) == [str(second_alert.pk), str(first_alert.pk)]


def test_a_patient_sees_only_their_own_alerts(nurse: Person, patient: EnrolledPatient) -> None:
    second = make_patient(nurse, name="Sam Second")
    own = raise_alert(patient)
    raise_alert(second)

    response = patient.client().get(ALERTS_URL, {"status": "open"})

    assert ids(response) == [str(own.pk)]
    assert "Sam Second" not in response.content.decode()


def test_a_caregiver_without_consent_sees_no_alerts(caregiver: Person, patient: EnrolledPatient) -> None:
    raise_alert(patient)

    assert ids(caregiver.client().get(ALERTS_URL)) == []


def test_alerts_come_newest_first(nurse: Person, patient: EnrolledPatient) -> None:
    oldest = raise_alert(patient, minutes_ago=30, **ONE_OF_EACH_KIND[0])
    newest = raise_alert(patient, minutes_ago=1, **ONE_OF_EACH_KIND[1])
    middle = raise_alert(patient, minutes_ago=10, **ONE_OF_EACH_KIND[2])

    assert ids(nurse.client().get(ALERTS_URL, {"status": "open"})) == [str(a.pk) for a in (newest, middle, oldest)]
    assert ids(patient.client().get(ALERTS_URL)) == [str(a.pk) for a in (newest, middle, oldest)]


def test_each_alert_has_the_contracts_fields(nurse: Person, patient: EnrolledPatient) -> None:
    alert = raise_alert(patient)

    (row,) = rows(nurse.client().get(ALERTS_URL, {"status": "open"}))

    assert set(row) >= CONTRACT_ALERT_KEYS
    assert row["id"] == str(alert.pk)
    assert row["patient"] == str(patient.patient.pk)
    assert (row["kind"], row["grade"], row["severity"], row["status"]) == ("thrombocytopenia", 4, "critical", "open")
    assert (row["dose_hold"], row["hold_drugs"]) == (True, ["ixazomib", "lenalidomide"])
    assert row["title"] == "Grade 4 thrombocytopenia"
    assert isinstance(row["message"], str) and "grade 4" in row["message"]
    created = datetime.fromisoformat(row["created_at"])
    assert created.utcoffset() is not None
    assert abs(created - alert.created_at) < timedelta(seconds=1)
    assert row["source"]


def test_a_fever_alert_has_a_null_grade_and_no_hold(nurse: Person, patient: EnrolledPatient) -> None:
    # Reported on day 11, outside the nadir window (days 14-21), where a fever with no recent ANC is
    # treated as febrile neutropenia (test_fever_nadir.py).
    Patient.objects.filter(pk=patient.patient.pk).update(start_date=date(2026, 11, 10))
    raise_alert(patient, symptom="fever", answers={"temperature_c": 38.6})

    (row,) = rows(nurse.client().get(ALERTS_URL))

    assert (row["kind"], row["grade"], row["severity"], row["dose_hold"], row["hold_drugs"]) == (
        "fever",
        None,
        "urgent",
        False,
        [],
    )


def test_dose_hold_is_true_exactly_when_drugs_are_held(nurse: Person, patient: EnrolledPatient) -> None:
    raise_alert(patient, value=20)
    raise_alert(patient, analyte="anc", value=0.7)
    raise_alert(patient, symptom="rash", answers={"body_area": "10_to_30"})

    for row in rows(nurse.client().get(ALERTS_URL)):
        assert row["dose_hold"] is bool(row["hold_drugs"])
        assert set(row["hold_drugs"]) <= {"ixazomib", "lenalidomide"}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"status": "open"}, ["open"]),
        ({"status": "acknowledged"}, ["acknowledged"]),
        ({"status": "resolved"}, ["resolved"]),
        ({"status": ["open", "acknowledged"]}, ["open", "acknowledged"]),
        ({}, ["open", "acknowledged", "resolved"]),
    ],
)
def test_alerts_filter_by_status(
    nurse: Person, patient: EnrolledPatient, query: dict[str, Any], expected: list[str]
) -> None:
    open_ = raise_alert(patient, minutes_ago=1, **ONE_OF_EACH_KIND[0])
    acked = raise_alert(patient, minutes_ago=2, **ONE_OF_EACH_KIND[1])
    done = raise_alert(patient, minutes_ago=3, **ONE_OF_EACH_KIND[2])
    acknowledge(nurse, acked.pk)
    resolve(nurse, done.pk, {"note": "ok"})
    by_status = {"open": str(open_.pk), "acknowledged": str(acked.pk), "resolved": str(done.pk)}

    response = nurse.client().get(ALERTS_URL, query)

    assert ids(response) == [by_status[s] for s in expected]
    assert [row["status"] for row in rows(response)] == expected


def test_alerts_filter_by_severity(nurse: Person, patient: EnrolledPatient) -> None:
    critical = raise_alert(patient, value=20, minutes_ago=2)
    urgent = raise_alert(patient, analyte="anc", value=0.7, minutes_ago=1)

    assert ids(nurse.client().get(ALERTS_URL, {"severity": "critical"})) == [str(critical.pk)]
    assert ids(nurse.client().get(ALERTS_URL, {"severity": "urgent", "status": "open"})) == [str(urgent.pk)]


@pytest.mark.parametrize("query", [{"status": "closed"}, {"severity": "mild"}, {"patient": "not-a-uuid"}])
def test_an_invalid_filter_is_400_naming_it(nurse: Person, query: dict[str, str]) -> None:
    response = nurse.client().get(ALERTS_URL, query)

    assert response.status_code == 400
    assert list(error_fields(response)) == list(query)


def test_a_long_list_pages_newest_first_through_next_links(nurse: Person, patient: EnrolledPatient) -> None:
    raised = [raise_alert(patient, minutes_ago=m, **ONE_OF_EACH_KIND[m - 1]) for m in (5, 4, 3, 2, 1)]
    client = nurse.client()

    seen: list[str] = []
    page = client.get(ALERTS_URL, {"status": "open", "page_size": 2}).json()
    while True:
        assert len(page["results"]) <= 2
        seen += [row["id"] for row in page["results"]]
        if not page["next"]:
            break
        page = client.get(page["next"]).json()

    assert seen == [str(a.pk) for a in reversed(raised)]


def test_an_invalid_page_cursor_is_refused_with_errors(nurse: Person) -> None:
    response = nurse.client().get(ALERTS_URL, {"cursor": "garbage"})

    assert response.status_code in (400, 404)
    assert "errors" in response.json()


def test_listing_without_a_token_is_401(db: None, anonymous: APIClient) -> None:
    assert anonymous.get(ALERTS_URL, {"status": "open"}).status_code == 401


def test_listing_alerts_is_audited_per_patient(nurse: Person, patient: EnrolledPatient) -> None:
    second = make_patient(nurse, name="Sam Second")
    raise_alert(patient)
    raise_alert(second)
    before = last_audit_id()  # the trail is append-only: count from here

    nurse.client().get(ALERTS_URL, {"status": "open"})

    reads = AuditEvent.objects.filter(id__gt=before, action="read", resource="alert")
    assert sorted((e.actor_id, e.actor_role, e.patient_id) for e in reads) == sorted(
        [(nurse.user.pk, "nurse", patient.patient.pk), (nurse.user.pk, "nurse", second.patient.pk)]
    )


def test_a_patient_reading_their_alerts_is_audited(patient: EnrolledPatient) -> None:
    raise_alert(patient)
    before = last_audit_id()

    patient.client().get(ALERTS_URL)

    event = AuditEvent.objects.get(id__gt=before)
    assert (event.action, event.resource, event.actor_role, event.patient_id) == (
        "read",
        "alert",
        "patient",
        patient.patient.pk,
    )


# --- POST /api/v1/alerts/{id}/acknowledge/ ---------------------------------------------------


def test_a_nurse_acknowledges_an_alert(nurse: Person, patient: EnrolledPatient) -> None:
    alert = raise_alert(patient)

    response = acknowledge(nurse, alert.pk)

    assert response.status_code == 200
    body = response.json()
    assert set(body) >= CONTRACT_ALERT_KEYS
    assert (body["id"], body["status"]) == (str(alert.pk), "acknowledged")
    alert.refresh_from_db()
    assert (alert.status, alert.acknowledged_by_id) == ("acknowledged", nurse.user.pk)
    assert alert.acknowledged_at is not None


def test_acknowledging_twice_keeps_the_first_acknowledgement(
    nurse: Person, clinic_admin: Person, patient: EnrolledPatient
) -> None:
    alert = raise_alert(patient)
    acknowledge(nurse, alert.pk)
    first_at = Alert.objects.get(pk=alert.pk).acknowledged_at

    response = acknowledge(clinic_admin, alert.pk)

    assert (response.status_code, response.json()["status"]) == (200, "acknowledged")
    alert.refresh_from_db()
    assert (alert.acknowledged_by_id, alert.acknowledged_at) == (nurse.user.pk, first_at)


def test_an_acknowledged_alert_leaves_the_open_list(nurse: Person, patient: EnrolledPatient) -> None:
    alert = raise_alert(patient)

    acknowledge(nurse, alert.pk)

    assert ids(nurse.client().get(ALERTS_URL, {"status": "open"})) == []


def test_acknowledging_is_audited(nurse: Person, patient: EnrolledPatient) -> None:
    alert = raise_alert(patient)

    acknowledge(nurse, alert.pk)

    event = AuditEvent.objects.get(action="acknowledge")
    assert (event.resource, event.object_id, event.patient_id, event.actor_id) == (
        "alert",
        str(alert.pk),
        patient.patient.pk,
        nurse.user.pk,
    )


def test_another_clinics_alert_is_404_to_acknowledge(nurse: Person, other_patient: EnrolledPatient) -> None:
    theirs = raise_alert(other_patient)

    response = acknowledge(nurse, theirs.pk)

    assert response.status_code == 404
    assert "Otto" not in response.content.decode()
    assert Alert.objects.get(pk=theirs.pk).status == "open"
    assert not AuditEvent.objects.filter(action="acknowledge").exists()


def test_a_patient_cannot_acknowledge(patient: EnrolledPatient) -> None:
    alert = raise_alert(patient)

    assert acknowledge(patient, alert.pk).status_code == 403
    assert Alert.objects.get(pk=alert.pk).status == "open"


def test_a_caregiver_cannot_acknowledge(caregiver: Person, patient: EnrolledPatient) -> None:
    alert = raise_alert(patient)

    assert acknowledge(caregiver, alert.pk).status_code == 403


@pytest.mark.parametrize("alert_id", [uuid.UUID(int=0), uuid.uuid4(), "not-a-uuid"])
def test_an_unknown_alert_is_404(nurse: Person, alert_id: object) -> None:
    assert acknowledge(nurse, alert_id).status_code == 404
    assert resolve(nurse, alert_id, {"note": "x"}).status_code == 404


def test_acknowledging_without_a_token_is_401(patient: EnrolledPatient, anonymous: APIClient) -> None:
    alert = raise_alert(patient)

    assert anonymous.post(f"{ALERTS_URL}{alert.pk}/acknowledge/").status_code == 401


# --- POST /api/v1/alerts/{id}/resolve/ -------------------------------------------------------


def test_a_nurse_resolves_an_alert_with_a_note(nurse: Person, patient: EnrolledPatient) -> None:
    alert = raise_alert(patient)
    acknowledge(nurse, alert.pk)

    response = resolve(nurse, alert.pk, {"note": "Called her; holding both drugs until Monday's CBC."})

    assert response.status_code == 200
    body = response.json()
    assert set(body) >= CONTRACT_ALERT_KEYS
    assert (body["id"], body["status"]) == (str(alert.pk), "resolved")
    alert.refresh_from_db()
    assert alert.status == "resolved"
    assert alert.resolution_note == "Called her; holding both drugs until Monday's CBC."
    assert alert.resolved_by_id == nurse.user.pk and alert.resolved_at is not None


def test_resolving_an_open_alert_also_marks_it_seen(nurse: Person, patient: EnrolledPatient) -> None:
    alert = raise_alert(patient)

    assert resolve(nurse, alert.pk, {"note": "seen in clinic"}).json()["status"] == "resolved"

    alert.refresh_from_db()
    assert alert.acknowledged_by_id == nurse.user.pk


def test_resolving_without_a_note_is_allowed(nurse: Person, patient: EnrolledPatient) -> None:
    alert = raise_alert(patient)

    response = resolve(nurse, alert.pk)

    assert (response.status_code, response.json()["status"]) == (200, "resolved")


@pytest.mark.parametrize("body", [["a note"], "a note", 3])
def test_a_resolve_body_that_is_not_an_object_is_refused_and_the_alert_stays_open(
    nurse: Person, patient: EnrolledPatient, body: Any
) -> None:
    alert = raise_alert(patient)

    response = resolve(nurse, alert.pk, body)

    assert response.status_code == 400
    assert "non_field_errors" in error_fields(response)
    alert.refresh_from_db()
    assert alert.status == "open"


def test_a_blank_patient_filter_is_refused_rather_than_ignored(nurse: Person) -> None:
    response = nurse.client().get(ALERTS_URL, {"patient": ""})

    assert response.status_code == 400
    assert set(error_fields(response)) == {"patient"}


def test_resolving_twice_keeps_the_first_resolution(nurse: Person, patient: EnrolledPatient) -> None:
    alert = raise_alert(patient)
    resolve(nurse, alert.pk, {"note": "first"})

    response = resolve(nurse, alert.pk, {"note": "second"})

    assert (response.status_code, response.json()["status"]) == (200, "resolved")
    assert Alert.objects.get(pk=alert.pk).resolution_note == "first"


def test_resolving_a_resolved_alert_is_on_the_record_once_as_resolved_then_its_note_then_reads(
    nurse: Person, patient: EnrolledPatient
) -> None:
    alert = raise_alert(patient)
    resolve(nurse, alert.pk, {"note": "first"})
    resolve(nurse, alert.pk, {"note": "second"})
    resolve(nurse, alert.pk, {})
    acknowledge(nurse, alert.pk)

    actions = AuditEvent.objects.filter(object_id=str(alert.pk), actor=nurse.user).order_by("id")
    assert list(actions.values_list("resource", "action")) == [
        ("alert", "resolve"),
        ("alert_note", "create"),  # the second note joined the alert's notes
        ("alert", "read"),
        ("alert", "read"),
        ("alert", "read"),
    ]


def test_acknowledging_twice_is_one_acknowledgement_on_the_record(nurse: Person, patient: EnrolledPatient) -> None:
    alert = raise_alert(patient)
    acknowledge(nurse, alert.pk)
    acknowledge(nurse, alert.pk)

    actions = AuditEvent.objects.filter(object_id=str(alert.pk), actor=nurse.user).order_by("id")
    assert list(actions.values_list("action", flat=True)) == ["acknowledge", "read"]


def test_acknowledging_a_resolved_alert_leaves_it_resolved(nurse: Person, patient: EnrolledPatient) -> None:
    alert = raise_alert(patient)
    resolve(nurse, alert.pk, {"note": "done"})

    assert acknowledge(nurse, alert.pk).json()["status"] == "resolved"


@pytest.mark.parametrize(
    ("body", "field"), [({"note": 5}, "note"), ({"note": ["x"]}, "note"), ({"outcome": "x"}, "outcome")]
)
def test_a_bad_resolution_is_400_naming_the_field(
    nurse: Person, patient: EnrolledPatient, body: dict[str, Any], field: str
) -> None:
    alert = raise_alert(patient)

    response = resolve(nurse, alert.pk, body)

    assert response.status_code == 400
    assert list(error_fields(response)) == [field]
    assert Alert.objects.get(pk=alert.pk).status == "open"


def test_resolving_is_audited(nurse: Person, patient: EnrolledPatient) -> None:
    alert = raise_alert(patient)

    resolve(nurse, alert.pk, {"note": "ok"})

    event = AuditEvent.objects.get(action="resolve")
    assert (event.resource, event.object_id, event.patient_id, event.actor_id) == (
        "alert",
        str(alert.pk),
        patient.patient.pk,
        nurse.user.pk,
    )


def test_another_clinics_alert_is_404_to_resolve(nurse: Person, other_patient: EnrolledPatient) -> None:
    theirs = raise_alert(other_patient)

    response = resolve(nurse, theirs.pk, {"note": "not mine"})

    assert response.status_code == 404
    theirs.refresh_from_db()
    assert (theirs.status, theirs.resolution_note) == ("open", "")


def test_a_patient_cannot_resolve(patient: EnrolledPatient) -> None:
    alert = raise_alert(patient)

    assert resolve(patient, alert.pk, {"note": "I feel fine"}).status_code == 403
    assert Alert.objects.get(pk=alert.pk).status == "open"


def test_a_lone_surrogate_in_the_note_is_not_a_500(nurse: Person, patient: EnrolledPatient) -> None:
    alert = raise_alert(patient)
    client = APIClient(raise_request_exception=False)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {nurse.token}")

    response = client.post(
        f"{ALERTS_URL}{alert.pk}/resolve/", data='{"note": "ok \\ud800"}', content_type="application/json"
    )

    assert response.status_code in (200, 400)


def test_a_nul_character_in_the_note_is_not_a_500(nurse: Person, patient: EnrolledPatient) -> None:
    alert = raise_alert(patient)
    client = APIClient(raise_request_exception=False)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {nurse.token}")

    response = client.post(f"{ALERTS_URL}{alert.pk}/resolve/", {"note": "called\x00back"}, format="json")

    assert response.status_code in (200, 400)
