"""The patient page: regimen position, holds, charts, timeline, adherence; audited; own clinic only."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from backend.audit.models import AuditEvent
from backend.patients.models import Patient
from backend.records.models import LabSource
from backend.records.services import sync_ingest
from tests.dashboard.support import grade_all, raise_alerts, raise_symptom_alert, sync, text
from tests.factories import EnrolledPatient, Person, dose_item, lab_item, symptom_item

pytestmark = pytest.mark.django_db


def page(client: Client, patient: EnrolledPatient) -> object:
    return client.get(f"/patients/{patient.patient.pk}/")


def start_patient_days_ago(patient: EnrolledPatient, days: int) -> None:
    """Put the patient `days` into treatment (cycle 1 day 1 was that many days ago, in their zone)."""
    today = timezone.now().astimezone(ZoneInfo(patient.patient.timezone)).date()
    start = today - timedelta(days=days)
    # Enrolled before day 1, so every dose since day 1 counts towards adherence.
    enrolled = datetime.combine(start - timedelta(days=1), datetime.min.time(), tzinfo=ZoneInfo("UTC"))
    Patient.objects.filter(pk=patient.patient.pk).update(start_date=start, created_at=enrolled)


def test_it_shows_cycle_day_dose_level_and_holds_in_force(nurse_browser: Client, patient: EnrolledPatient) -> None:
    start_patient_days_ago(patient, 35)  # cycle 2, day 8
    raise_alerts(patient, [22])
    body = text(page(nurse_browser, patient))
    assert "C2 · D8" in body
    assert "Ixazomib 4 mg" in body and "Lenalidomide 25 mg" in body and "Dexamethasone 40 mg" in body
    assert "Hold Ixazomib Hold Lenalidomide" in body
    assert "Ixazomib and Lenalidomide: Platelets 22 ×10⁹/L on " in body
    assert ": hold until platelets are back to 30 ×10⁹/L or more (NINLARO label)" in body


def test_resolving_the_alert_keeps_the_hold_until_a_count_recovers(
    nurse_browser: Client, patient: EnrolledPatient
) -> None:
    (alert,) = raise_alerts(patient, [22], start=timezone.now() - timedelta(days=2))
    nurse_browser.post(f"/alerts/{alert.pk}/resolve/", {"outcome": "dose_held", "note": "Held both; recheck Friday."})
    body = text(page(nurse_browser, patient))
    assert "Hold Ixazomib" in body and "hold until platelets are back to 30 ×10⁹/L or more" in body
    # The note is on the timeline.
    assert "Dose held: Grade 4 thrombocytopenia" in body and "Held both; recheck Friday." in body
    raise_alerts(patient, [60], start=timezone.now() - timedelta(hours=1))  # grade 2: no alert, no hold
    assert "Holds in force None" in text(page(nurse_browser, patient))


def test_it_charts_platelets_with_grade_bands_nadir_windows_dose_days_and_the_grade_4_reading(
    nurse_browser: Client, patient: EnrolledPatient
) -> None:
    start_patient_days_ago(patient, 45)  # today: cycle 2, day 18, in its nadir window
    raise_alerts(patient, [22], start=timezone.now() - timedelta(days=2))
    html = page(nurse_browser, patient).content.decode()
    svg = re.search(r'<svg[^>]*id="chart-platelets".*?</svg>', html, re.S)
    assert svg, "no platelet chart"
    chart = svg.group(0)
    assert 'role="img"' in chart and '<title id="chart-platelets-title">Platelets</title>' in chart
    assert "Latest 22 ×10⁹/L (grade 4)" in chart  # the <desc>
    for grade in (1, 2, 3, 4):
        assert f"band band-g{grade}" in chart
    assert chart.count('class="span"') == 2  # nadir windows of cycles 1 and 2
    assert 'class="pt pt-g4"' in chart and "G4 · 22</text>" in chart
    assert chart.count('class="dose ') == 6  # ixazomib days 1, 8 and 15 of cycles 1 and 2
    assert 'id="chart-anc"' in html and 'id="chart-hemoglobin"' in html


def test_the_timeline_holds_readings_symptoms_doses_and_alerts(nurse_browser: Client, patient: EnrolledPatient) -> None:
    start_patient_days_ago(patient, 10)
    now = timezone.now()
    sync(patient, dose_logs=[dose_item("ixazomib", "taken", taken_at=(now - timedelta(hours=3)).isoformat())])
    raise_symptom_alert(patient, "diarrhea", {"stools_above_usual": 8})
    raise_alerts(patient, [45], start=now - timedelta(hours=2))
    body = text(page(nurse_browser, patient))
    assert "Doses: Ixazomib ✓" in body
    assert "Diarrhea" in body and "stools above usual: 8" in body
    assert "Platelets 45 ×10⁹/L" in body
    assert "Grade 3 diarrhea" in body and "Grade 3 thrombocytopenia" in body


def test_the_timeline_shows_the_follow_ups_a_patient_denied(nurse_browser: Client, patient: EnrolledPatient) -> None:
    # "Severe" with the CTCAE grade 3 criterion explicitly absent is grade 2: the nurse sees why.
    answers = {"severity": "severe", "hospital": False, "danger_signs": False}
    sync(patient, symptom_reports=[symptom_item("vomiting", answers, reported_at=timezone.now().isoformat())])
    body = text(page(nurse_browser, patient))
    assert "severity: severe, hospital: no, danger signs: no" in body


def test_adherence_shows_this_cycle_and_the_last_from_the_logged_doses(
    nurse_browser: Client, patient: EnrolledPatient
) -> None:
    start_patient_days_ago(patient, 37)  # cycle 2, day 10: ixazomib days 1 and 8 of cycle 2 are due
    tz = ZoneInfo(patient.patient.timezone)
    start = Patient.objects.get(pk=patient.patient.pk).start_date
    taken = [start + timedelta(days=d) for d in (0, 7, 14, 28)]  # C1 days 1, 8, 15 and C2 day 1
    at = [datetime.combine(day, datetime.min.time(), tzinfo=tz) + timedelta(hours=9) for day in taken]
    sync(patient, dose_logs=[dose_item("ixazomib", "taken", taken_at=moment.isoformat()) for moment in at])
    response = page(nurse_browser, patient)
    adherence = response.context["record"].adherence
    assert adherence.cycles == (2, 1)
    ixazomib = next(row for row in adherence.rows if row.drug == "ixazomib")
    now, before = ixazomib.cells
    assert (now.taken, now.due, now.missed, now.percent) == (1, 2, 1, 50)
    assert (before.taken, before.due, before.percent) == (3, 3, 100)
    assert re.search(r"Ixazomib 50% 1 of 2 1 missed 100% 3 of 3", text(response)), text(response)


def test_opening_a_patient_writes_the_audit_trail(
    nurse_browser: Client, nurse: Person, patient: EnrolledPatient
) -> None:
    page(nurse_browser, patient)
    event = AuditEvent.objects.get(actor=nurse.user, resource="patient", action="read")
    assert event.patient_id == patient.patient.pk and event.detail == "dashboard patient page"


def test_a_nurse_never_sees_another_clinics_patient(
    nurse_browser: Client, nurse: Person, other_patient: EnrolledPatient
) -> None:
    raise_alerts(other_patient, [20])
    response = page(nurse_browser, other_patient)
    assert response.status_code == 404
    assert "Otto Other" not in text(response)
    rows = AuditEvent.objects.filter(actor=nurse.user, patient_id=other_patient.patient.pk)
    assert list(rows.values_list("action", flat=True)) == ["refused"]  # probing is on the record
    assert "Otto Other" not in text(nurse_browser.get("/patients/"))
    assert nurse_browser.post(f"/patients/{other_patient.patient.pk}/enrollment-code/").status_code == 404


def test_the_patient_list_shows_the_clinics_patients_and_is_audited(
    nurse_browser: Client, nurse: Person, patient: EnrolledPatient, second_patient: EnrolledPatient
) -> None:
    raise_alerts(second_patient, [20])
    body = text(nurse_browser.get("/patients/"))
    assert body.index("Sam Second") < body.index("Pat Doe")  # critical alerts first
    assert {e.patient_id for e in AuditEvent.objects.filter(actor=nurse.user, detail="dashboard patient list")} == {
        patient.patient.pk,
        second_patient.patient.pk,
    }


def test_it_lists_the_caregivers_the_patient_linked(nurse_browser: Client, patient: EnrolledPatient) -> None:
    from rest_framework.test import APIClient

    phone = APIClient()
    phone.credentials(HTTP_AUTHORIZATION=f"Bearer {patient.token}")
    invite = phone.post("/api/v1/caregiver-invites/", {"scopes": ["critical_alerts", "missed_doses"]}, format="json")
    assert invite.status_code == 201, invite.content
    accepted = APIClient().post(
        "/api/v1/caregiver-invites/accept/",
        {"code": invite.json()["code"], "username": "carla.care", "password": "correct-horse-battery"},
        format="json",
    )
    assert accepted.status_code == 201, accepted.content
    body = text(page(nurse_browser, patient))
    assert "carla.care" in body and "Sees: Critical alerts, Missed doses" in body


def test_the_timeline_writes_lab_values_in_one_unit_style(nurse_browser: Client, patient: EnrolledPatient) -> None:
    """The queue's style (the analyte's canonical unit), with what the lab printed when it differs."""
    start_patient_days_ago(patient, 10)
    at = (timezone.now() - timedelta(hours=3)).isoformat()
    sync(patient, lab_results=[lab_item("hemoglobin", 120, "g/L", collected_at=at)])
    grade_all()

    assert "Hemoglobin 12 g/dL (reported 120 g/L)" in text(page(nurse_browser, patient))


def test_the_timeline_says_which_lab_results_came_from_the_lab(nurse_browser: Client, patient: EnrolledPatient) -> None:
    """A result of the clinic's lab feed (FHIR) is marked; the patient's own entries are not."""
    start_patient_days_ago(patient, 10)
    at = (timezone.now() - timedelta(hours=3)).isoformat()
    sync(patient, lab_results=[lab_item("platelets", 180, "10^9/L", collected_at=at)])
    from_lab = {"lab_results": [lab_item("hemoglobin", 11.5, "g/dL", collected_at=at)]}
    sync_ingest(patient=patient.patient, sections=from_lab, lab_source=LabSource.LAB_FEED)
    grade_all()

    html = page(nurse_browser, patient).content.decode()
    entries = re.findall(r'<li class="tl-entry tl-entry--lab.*?</li>', html, re.S)
    marked = [e for e in entries if '<span class="tl-detail">from the lab</span>' in e]
    assert len(entries) == 2 and len(marked) == 1
    assert "Hemoglobin 11.5 g/dL" in marked[0]
