"""Specification of `GET /api/v1/readings/?kind=lab|symptom|dose`: a patient reads back their own
readings, in the item shape the phone sent them in sync, newest first, a page at a time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from backend.audit.models import AuditEvent
from backend.records.models import LabResult
from backend.records.selectors import KIND_UNKNOWN
from shared.sync_schema import parse_dose_item, parse_lab_item, parse_symptom_item
from tests.backend.audit.support import last_audit_id
from tests.backend.support import error_fields, grade_all, rows, sync
from tests.factories import EnrolledPatient, Person, dose_item, lab_item, symptom_item

READINGS_URL = "/api/v1/readings/"


def hours_ago(hours: int) -> str:
    return (timezone.now() - timedelta(hours=hours)).replace(microsecond=0).isoformat()


def read(person: Person, kind: str, **params: Any) -> Any:
    return person.client().get(READINGS_URL, {"kind": kind, **params})


def walk(person: Person, kind: str, page_size: int) -> list[dict[str, Any]]:
    """Every page, following `next` until it is null."""
    client = person.client()
    response = client.get(READINGS_URL, {"kind": kind, "page_size": page_size})
    seen: list[dict[str, Any]] = []
    while True:
        assert response.status_code == 200, response.content
        body = response.json()
        assert len(body["results"]) <= page_size
        seen.extend(body["results"])
        if body["next"] is None:
            return seen
        response = client.get(body["next"])


def without_grade(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k != "grade"}


def same_instant(a: str, b: str) -> bool:
    return datetime.fromisoformat(a) == datetime.fromisoformat(b)


# --- what comes back --------------------------------------------------------------------------


def test_a_lab_result_comes_back_as_it_was_sent_with_its_grade(patient: EnrolledPatient) -> None:
    sent = [lab_item(value=42), lab_item("anc", 0.8, "10^9/L"), lab_item("hemoglobin", 9.6, "g/dL")]
    sync(patient, lab_results=sent)
    grade_all()

    got = {item["id"]: item for item in rows(read(patient, "lab"))}

    assert set(got) == {item["id"] for item in sent}
    for item in sent:
        back = got[item["id"]]
        assert without_grade(back) | {"collected_at": item["collected_at"]} == item
        assert same_instant(back["collected_at"], item["collected_at"])
        assert type(back["value"]) is type(item["value"])  # 42 stays an integer, 9.6 a number, never text
    assert got[sent[0]["id"]]["grade"] == 3  # platelets 42: grade 3
    assert got[sent[1]["id"]]["grade"] == 3  # ANC 0.8: grade 3


def test_times_are_in_the_patients_own_time_zone(patient: EnrolledPatient) -> None:
    item = lab_item(collected_at="2026-11-20T13:30:00+00:00")
    sync(patient, lab_results=[item])

    [back] = rows(read(patient, "lab"))

    assert back["collected_at"] == "2026-11-20T08:30:00-05:00"  # America/New_York


def test_an_ungraded_reading_says_so_with_a_null_grade(patient: EnrolledPatient) -> None:
    sync(patient, lab_results=[lab_item()])

    [back] = rows(read(patient, "lab"))

    assert back["grade"] is None


def test_a_symptom_report_comes_back_with_its_answers_as_numbers(patient: EnrolledPatient) -> None:
    diarrhea, fever = symptom_item(), symptom_item("fever", {"temperature_c": 38.5}, reported_at=hours_ago(1))
    sync(patient, symptom_reports=[diarrhea, fever])
    grade_all()

    got = {item["id"]: item for item in rows(read(patient, "symptom"))}

    assert without_grade(got[diarrhea["id"]]) == diarrhea
    assert got[diarrhea["id"]]["grade"] == 2
    assert got[fever["id"]]["answers"] == {"temperature_c": 38.5}


def test_a_dose_log_comes_back_as_it_was_sent(patient: EnrolledPatient) -> None:
    item = dose_item("lenalidomide", "vomited")
    sync(patient, dose_logs=[item])

    assert rows(read(patient, "dose")) == [item]


@pytest.mark.parametrize(
    ("kind", "section", "parse", "make"),
    [
        ("lab", "lab_results", parse_lab_item, lambda: lab_item("platelets", 49.9, "K/uL")),
        (
            "symptom",
            "symptom_reports",
            parse_symptom_item,
            lambda: symptom_item("peripheral_neuropathy", {"severity": "moderate", "pain": True}),
        ),
        ("dose", "dose_logs", parse_dose_item, lambda: dose_item("antiviral", "skipped")),
    ],
)
def test_a_reading_synced_then_downloaded_means_what_was_sent(
    patient: EnrolledPatient, kind: str, section: str, parse: Any, make: Any
) -> None:
    sent = make()
    sync(patient, **{section: [sent]})

    [back] = rows(read(patient, kind))

    now = datetime.now(UTC)
    assert parse(without_grade(back), now=now).fingerprint() == parse(sent, now=now).fingerprint()
    # And sending it again is a replay: accepted, nothing changes.
    again = sync(patient, **{section: [without_grade(back)]}).json()
    assert (again["accepted"], again["rejected"]) == ([sent["id"]], [])


# --- whose rows -------------------------------------------------------------------------------


def test_a_patient_sees_only_their_own_readings(patient: EnrolledPatient, other_patient: EnrolledPatient) -> None:
    mine, theirs = lab_item(), lab_item()
    sync(patient, lab_results=[mine])
    sync(other_patient, lab_results=[theirs])

    assert [r["id"] for r in rows(read(patient, "lab"))] == [mine["id"]]
    assert [r["id"] for r in rows(read(other_patient, "lab"))] == [theirs["id"]]


def test_a_nurse_cannot_list_readings(nurse: Person, patient: EnrolledPatient) -> None:
    sync(patient, lab_results=[lab_item()])

    response = read(nurse, "lab")

    assert response.status_code == 403
    assert "results" not in response.json()


def test_a_caregiver_cannot_list_readings(caregiver: Person) -> None:
    assert read(caregiver, "lab").status_code == 403


def test_listing_without_a_token_is_401(db: None, anonymous: APIClient) -> None:
    assert anonymous.get(READINGS_URL, {"kind": "lab"}).status_code == 401


@pytest.mark.parametrize("kind", [None, "", "labs", "alert"])
def test_an_unknown_or_missing_kind_is_a_400_that_says_what_to_send(patient: EnrolledPatient, kind: Any) -> None:
    response = patient.client().get(READINGS_URL, {} if kind is None else {"kind": kind})

    assert response.status_code == 400
    assert error_fields(response) == {"kind": [KIND_UNKNOWN]}


# --- pages --------------------------------------------------------------------------------------


def test_pages_walk_every_row_newest_first_with_no_duplicates(patient: EnrolledPatient) -> None:
    # 12 readings, three of them at the same time: ties must not repeat or drop rows across pages.
    times = [hours_ago(h) for h in range(1, 10)] + [hours_ago(20)] * 3
    sent = [lab_item(value=100 + i, collected_at=at) for i, at in enumerate(times)]
    sync(patient, lab_results=sent)

    seen = walk(patient, "lab", page_size=5)

    assert sorted(r["id"] for r in seen) == sorted(r["id"] for r in sent)
    assert len(seen) == len({r["id"] for r in seen})
    instants = [datetime.fromisoformat(r["collected_at"]) for r in seen]
    assert instants == sorted(instants, reverse=True)


def test_a_page_costs_the_same_queries_for_1_row_as_for_30(patient: EnrolledPatient) -> None:
    def queries_for_a_page() -> int:
        client = patient.client()
        with CaptureQueriesContext(connection) as captured:
            assert client.get(READINGS_URL, {"kind": "symptom"}).status_code == 200
        return len(captured)

    sync(patient, symptom_reports=[symptom_item(reported_at=hours_ago(1))])
    one = queries_for_a_page()
    sync(patient, symptom_reports=[symptom_item(reported_at=hours_ago(h)) for h in range(2, 31)])
    thirty = queries_for_a_page()

    assert one == thirty


# --- audit --------------------------------------------------------------------------------------


def test_reading_back_is_audited_as_a_read_of_the_patients_data(patient: EnrolledPatient) -> None:
    sync(patient, lab_results=[lab_item()])
    before = last_audit_id()  # the trail is append-only: count from here

    read(patient, "lab")

    event = AuditEvent.objects.get(id__gt=before)
    assert (event.action, event.resource, event.actor_id, event.actor_role, event.patient_id) == (
        "read",
        "lab_result",
        patient.user.pk,
        "patient",
        patient.patient.pk,
    )


def test_the_table_is_left_as_it_was(patient: EnrolledPatient) -> None:
    sync(patient, lab_results=[lab_item()])
    before = list(LabResult.objects.values())

    read(patient, "lab")

    assert list(LabResult.objects.values()) == before
