"""Specification: `GET /api/v1/metrics/` answers a clinic's nurses and admins with their own clinic's
figures, refuses patients and caregivers, and names the field and the reason of a bad period."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

from backend.audit.models import AuditEvent
from tests.backend.caregivers.support import make_caregiver
from tests.backend.metrics.support import NOW, alert, at, enrolled
from tests.factories import EnrolledPatient, Person, make_nurse, make_patient

pytestmark = pytest.mark.django_db
URL = "/api/v1/metrics/"


@pytest.fixture(autouse=True)
def december_2nd(clock: Callable[[datetime], None]) -> None:
    clock(NOW)


@pytest.fixture
def maria(nurse: Person) -> EnrolledPatient:
    maria = make_patient(nurse, name="Maria Lopez")
    enrolled(maria.patient, at(1))
    alert(maria.patient, at(20), severity="critical", acknowledged=timedelta(minutes=3), by=nurse.user)
    return maria


def test_a_nurse_reads_the_last_28_days_of_her_own_clinic_by_default(nurse: Person, maria: EnrolledPatient) -> None:
    otto = make_patient(make_nurse("nurse.olga", clinic="Hillside Hematology"), name="Otto")
    alert(enrolled(otto.patient, at(1)), at(21))
    body = nurse.client().get(URL).json()
    assert (body["from"], body["to"]) == ("2026-11-05", "2026-12-02")
    assert body["patients"] == 1 and body["alerts"]["raised"] == 1
    critical = body["alerts"]["by_severity"][0]
    assert critical == {
        "severity": "critical",
        "raised": 1,
        "unacknowledged": 0,
        "to_acknowledge": {"count": 1, "median_seconds": 180.0, "p90_seconds": 180.0},
        "to_resolve": {"count": 0, "median_seconds": None, "p90_seconds": None},
    }
    assert body["workload"] == [{"name": "nurse.nina", "acknowledged": 1, "resolved": 0}]


def test_the_answer_names_no_patient(nurse: Person, maria: EnrolledPatient) -> None:
    text = nurse.client().get(URL, {"from": "2026-11-01"}).content.decode()
    assert "Maria" not in text and str(maria.patient.pk) not in text


def test_a_clinic_admin_reads_them_too_for_a_chosen_period(clinic_admin: Person, maria: EnrolledPatient) -> None:
    body = clinic_admin.client().get(URL, {"from": "2026-11-21", "to": "2026-11-30"}).json()
    assert (body["from"], body["to"], body["alerts"]["raised"]) == ("2026-11-21", "2026-11-30", 0)


def test_patients_and_caregivers_are_refused(maria: EnrolledPatient, anonymous: object) -> None:
    carla = make_caregiver(maria, ["all_alerts"])
    assert maria.client().get(URL).status_code == 403
    assert carla.client().get(URL).status_code == 403
    assert AuditEvent.objects.filter(actor=carla.user, action="refused").count() == 1
    assert anonymous.get(URL).status_code == 401  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("query", "field", "reason"),
    [
        ({"from": "1 November"}, "from", "Enter a date as YYYY-MM-DD"),
        ({"to": "2026-13-01"}, "to", "Enter a date as YYYY-MM-DD"),
        ({"to": "2026-12-03"}, "to", "today (2026-12-02) or earlier"),
        ({"from": "2026-11-10", "to": "2026-11-09"}, "from", "on or before `to`"),
        ({"from": "2025-11-30", "to": "2026-12-01"}, "from", "at most 366 days"),
        ({"to": ""}, "to", "or leave it out"),  # sent empty: a client's mistake, not the default
        ({"from": ""}, "from", "or leave it out"),
        ({"format": "xml"}, "format", "json, csv"),  # not DRF's 404: the figures exist
    ],
)
def test_a_bad_period_is_refused_with_its_field_and_reason(
    nurse: Person, query: dict[str, str], field: str, reason: str
) -> None:
    response = nurse.client().get(URL, query)
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field] and reason in response.json()["errors"][field][0]


def test_366_days_are_accepted(nurse: Person) -> None:
    assert nurse.client().get(URL, {"from": "2025-12-01", "to": "2026-12-01"}).status_code == 200


def test_the_same_figures_as_csv_one_per_line(nurse: Person, maria: EnrolledPatient) -> None:
    for response in (nurse.client().get(URL, {"format": "csv"}), nurse.client().get(URL, HTTP_ACCEPT="text/csv")):
        assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(response.content.decode())))
        values = {r["measure"]: r["value"] for r in rows}
        assert {(r["from"], r["to"]) for r in rows} == {("2026-11-05", "2026-12-02")}
        assert values["alerts.raised"] == "1"
        assert values["alerts.by_severity.critical.to_acknowledge.median_seconds"] == "180.0"
        assert values["alerts.action_share"] == ""  # nothing resolved: no rate
        assert values["workload.nurse.nina.acknowledged"] == "1"


def test_a_bad_period_asked_as_csv_still_says_why_in_json(nurse: Person) -> None:
    response = nurse.client().get(URL, {"format": "csv", "from": "x"})
    assert response.status_code == 400 and "from" in response.json()["errors"]
