"""Specification: the dashboard's Service figures page (issue 16 §5) shows the clinic's figures to its
nurses and admins, names no patient, explains how draws and doses are counted, exports CSV and
says which date is wrong."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import timedelta

import pytest
import time_machine
from django.test import Client

from backend.accounts.models import Role
from backend.audit.models import AuditEvent
from tests.backend.caregivers.support import make_caregiver
from tests.backend.metrics.support import NOW, alert, at, enrolled
from tests.dashboard.conftest import signed_in
from tests.factories import EnrolledPatient, Person

pytestmark = pytest.mark.django_db
URL = "/clinic/metrics/"


@pytest.fixture(autouse=True)
def december_2nd() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def maria(nurse: Person, patient: EnrolledPatient) -> EnrolledPatient:
    enrolled(patient.patient, at(1))
    for minutes, outcome in ((4, "called_patient"), (10, "no_action_needed")):
        alert(
            patient.patient,
            at(20),
            severity="critical",
            acknowledged=timedelta(minutes=minutes),
            resolved=timedelta(hours=2),
            by=nurse.user,
            outcome=outcome,
        )
    return patient


def test_a_nurse_sees_the_last_four_weeks_linked_from_the_navigation(
    nurse_browser: Client, maria: EnrolledPatient
) -> None:
    assert f'href="{URL}"' in nurse_browser.get("/").content.decode()
    response = nurse_browser.get(URL)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'value="2026-11-05"' in html and 'value="2026-12-02"' in html
    assert "Critical: time to acknowledge" in html and "median 7 min, 90th percentile 9 min" in html
    assert "50%" in html and "1 of 2 resolved with an outcome" in html
    assert "from 1 day before to 3 days after" in html  # the blood-draw definition is on the page
    assert maria.patient.display_name not in html


def test_a_clinic_admin_chooses_a_period(admin_browser: Client, maria: EnrolledPatient) -> None:
    html = admin_browser.get(URL, {"from": "2026-11-21", "to": "2026-11-30"}).content.decode()
    assert "21 Nov 2026 to 30 Nov 2026 (10 days" in html


def test_the_page_leaves_a_read_row_naming_no_patient(nurse: Person, nurse_browser: Client) -> None:
    nurse_browser.get(URL)
    row = AuditEvent.objects.get(actor=nurse.user, resource="dashboard:metrics")
    assert row.action == "read" and row.patient_id is None


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"from": "2026-11-31"}, "From: Enter a date as YYYY-MM-DD"),
        ({"from": "2026-11-10", "to": "2026-11-01"}, "From: Must be on or before"),
        ({"to": "2026-12-25"}, "To: Must be today (2026-12-02) or earlier"),
    ],
)
def test_a_bad_date_is_named_with_its_reason(nurse_browser: Client, query: dict[str, str], message: str) -> None:
    response = nurse_browser.get(URL, query)
    html = response.content.decode()
    assert response.status_code == 400
    assert message in html and 'aria-invalid="true"' in html
    assert "Download CSV" not in html


def test_the_csv_holds_the_same_figures_as_the_api(
    nurse: Person, nurse_browser: Client, maria: EnrolledPatient
) -> None:
    response = nurse_browser.get(URL, {"from": "2026-11-01", "to": "2026-11-28", "format": "csv"})
    assert response["Content-Disposition"] == 'attachment; filename="careloop-metrics-2026-11-01-2026-11-28.csv"'
    page = response.content.decode()
    api = nurse.client().get("/api/v1/metrics/", {"from": "2026-11-01", "to": "2026-11-28", "format": "csv"})
    assert page == api.content.decode()
    values = {r["measure"]: r["value"] for r in csv.DictReader(io.StringIO(page))}
    assert values["alerts.action_share"] == "0.5" and values["alerts.by_severity.critical.raised"] == "2"
    assert maria.patient.display_name not in page


def test_patients_and_caregivers_are_refused(maria: EnrolledPatient) -> None:
    carla = make_caregiver(maria, ["all_alerts"])
    for person in (maria, carla):
        response = signed_in(person).get(URL)
        assert response.status_code == 403


def test_a_nurse_and_an_admin_both_see_it(nurse: Person) -> None:
    from tests.factories import make_nurse

    admin = make_nurse("admin.ada", role=Role.ADMIN)
    assert signed_in(admin).get(URL).status_code == 200
    assert signed_in(nurse).get(URL).status_code == 200
