"""Each page costs the same number of SQL queries whatever the number of patients, alerts or readings."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.dashboard.support import raise_alerts, raise_symptom_alert, sync
from tests.factories import EnrolledPatient, Person, dose_item, make_patient

pytestmark = pytest.mark.django_db
N = 3


def queries(client: Client, url: str) -> int:
    client.get(url)  # warm: a session renewal or first-use cache is not what is measured
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def add_patients(nurse: Person, count: int, offset: int) -> list[EnrolledPatient]:
    patients = [make_patient(nurse, name=f"Patient {offset + i:03d}") for i in range(count)]
    for p in patients:
        raise_alerts(p, [20, 40])
    return patients


def test_the_queue_and_the_patient_list_cost_the_same_for_n_and_5n_patients(
    nurse: Person, nurse_browser: Client
) -> None:
    add_patients(nurse, N, 0)
    urls = ("/", "/patients/", "/?severity=critical", "/patients/?sort=-last", "/patients/?sort=name&status=all")
    nurse_browser.post("/patients/search/", {"q": "patient"})  # a search kept in the session: every patient
    small = {url: queries(nurse_browser, url) for url in urls}
    add_patients(nurse, 4 * N, N)
    large = {url: queries(nurse_browser, url) for url in small}
    assert large == small
    assert small["/"] <= 8, small


def add_readings(patient: EnrolledPatient, count: int, days_back: int) -> None:
    now = timezone.now()
    raise_alerts(patient, [20 + i for i in range(count)], start=now - timedelta(days=days_back))
    sync(
        patient,
        dose_logs=[
            dose_item("ixazomib", taken_at=(now - timedelta(days=days_back - i)).isoformat()) for i in range(count)
        ],
    )
    for i in range(count):
        raise_symptom_alert(patient, "diarrhea", {"stools_above_usual": 7 + i})


def test_the_patient_page_costs_the_same_for_n_and_5n_readings(nurse_browser: Client, patient: EnrolledPatient) -> None:
    from backend.patients.models import Patient

    Patient.objects.filter(pk=patient.patient.pk).update(start_date=timezone.localdate() - timedelta(days=60))
    url = f"/patients/{patient.patient.pk}/"
    add_readings(patient, N, 20)
    small = queries(nurse_browser, url)
    add_readings(patient, 4 * N, 40)
    assert queries(nurse_browser, url) == small
    # 12, two for the lab baselines (entered; last before cycle 1 day 1), one for the response panel, one
    # for the dose history, one for the cycle delays (the patient's calendar, read once for the page)
    # and one for the alerts' notes, one for the reminder plan (patient administration)
    assert small <= 19, small


def test_the_audit_trail_costs_the_same_however_long_it_is(
    admin_browser: Client, nurse_browser: Client, patient: EnrolledPatient
) -> None:
    nurse_browser.get(f"/patients/{patient.patient.pk}/")
    small = queries(admin_browser, "/clinic/audit/")
    for _ in range(20):
        nurse_browser.get(f"/patients/{patient.patient.pk}/")
    assert queries(admin_browser, "/clinic/audit/") == small


def add_responses(nurse: Person, count: int, offset: int) -> None:
    """`count` patients with a response as the recompute stores it: every category, confirmed or
    not, due or overdue for their next response test; one in five with none yet."""
    from backend.response.models import PatientResponse

    today = timezone.localdate()
    courses = [("PR", True, True), ("VGPR", False, True), ("SD", True, False), ("PD", True, True), None]
    rows = []
    for i in range(count):
        patient = make_patient(nurse, name=f"Responder {offset + i:03d}", start=today - timedelta(days=200))
        course = courses[(offset + i) % len(courses)]
        if course is None:
            continue
        category, confirmed, responded = course
        rows.append(
            PatientResponse(
                patient=patient.patient,
                measurable_by="serum",
                current_category=category,
                current_confirmed=confirmed,
                current_since=today - timedelta(days=20),
                best_category="PR" if responded else "",
                best_since=today - timedelta(days=120) if responded else None,
                last_test_on=today - timedelta(days=20 + 30 * (i % 2)),  # due soon, or overdue
                responded=responded,
                computed_at=timezone.now(),
            )
        )
    PatientResponse.objects.bulk_create(rows)


def test_the_patient_list_costs_the_same_for_3_or_30_patients_with_a_response(
    nurse: Person, nurse_browser: Client
) -> None:
    from backend.response.models import ClinicResponseSettings

    assert nurse.user.clinic_id is not None
    ClinicResponseSettings.objects.create(clinic_id=nurse.user.clinic_id, test_every_cycles=3)
    add_responses(nurse, 3, 0)
    small = queries(nurse_browser, "/patients/")
    add_responses(nurse, 27, 3)
    assert queries(nurse_browser, "/patients/") == small
    page = nurse_browser.get("/patients/").content.decode()
    assert page.count("<strong>PR</strong>") == 6 and page.count("<strong>PD</strong>") == 6
    assert "tag--overdue" in page and "Due " in page
