"""The patient page's lab reference: the sex whose default limits apply (recorded at enrollment or
later) and the baselines the patient's values are graded against, each saying where it comes from;
a nurse enters or removes a baseline there. Own clinic only; a refused baseline is explained next
to its field and changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from backend.audit.models import AuditEvent
from backend.patients.models import Patient
from backend.records.models import LabBaseline
from tests.backend.support import sync
from tests.dashboard.support import text
from tests.factories import EnrolledPatient, lab_item

pytestmark = pytest.mark.django_db


def page(client: Client, patient: EnrolledPatient) -> Any:
    return client.get(f"/patients/{patient.patient.pk}/")


def enter(client: Client, patient: EnrolledPatient, **fields: str) -> Any:
    return client.post(f"/patients/{patient.patient.pk}/baselines/", fields)


def test_the_page_shows_each_baseline_and_where_it_comes_from(nurse_browser: Client, patient: EnrolledPatient) -> None:
    sync(patient, lab_results=[lab_item("creatinine", 0.7, "mg/dL", collected_at="2026-10-30T08:00:00-04:00")])
    shown = text(page(nurse_browser, patient))
    assert "Lab reference" in shown
    assert "Creatinine 0.7 mg/dL last value on or before cycle 1 day 1 (30 Oct 2026)" in shown
    assert "ALT none graded against the ULN alone" in shown


def test_a_nurse_enters_a_baseline_and_the_page_says_who(nurse_browser: Client, patient: EnrolledPatient) -> None:
    response = enter(nurse_browser, patient, analyte="alt", value="100", unit="U/L", collected_on="2026-10-28")
    assert response.status_code == 302
    row = LabBaseline.objects.get(patient=patient.patient, analyte="alt")
    assert (row.value, row.unit) == (100, "U/L")
    shown = text(page(nurse_browser, patient))
    assert "ALT 100 U/L entered by nurse.nina, of 28 Oct 2026" in shown
    assert AuditEvent.objects.filter(detail="baseline alt: 100 U/L").exists()


def test_a_baseline_in_a_unit_of_another_analyte_is_refused_next_to_its_field(
    nurse_browser: Client, patient: EnrolledPatient
) -> None:
    response = enter(nurse_browser, patient, analyte="alt", value="100", unit="mg/dL")
    assert response.status_code == 200
    body = response.content.decode()
    assert '<details class="baseline-enter" open>' in body
    assert "Unit not accepted for ALT" in text(response)
    assert not LabBaseline.objects.exists()


def test_a_nurse_removes_an_entered_baseline(nurse_browser: Client, patient: EnrolledPatient) -> None:
    enter(nurse_browser, patient, analyte="alt", value="100", unit="U/L")
    response = nurse_browser.post(f"/patients/{patient.patient.pk}/baselines/alt/clear/")
    assert response.status_code == 302 and not LabBaseline.objects.exists()


@pytest.mark.parametrize("sex", ["male", "female", ""])
def test_a_nurse_records_the_sex_for_the_reference_limits(
    nurse_browser: Client, patient: EnrolledPatient, sex: str
) -> None:
    Patient.objects.filter(pk=patient.patient.pk).update(sex="female" if sex != "female" else "male")
    response = nurse_browser.post(f"/patients/{patient.patient.pk}/sex/", {"sex": sex})
    assert response.status_code == 302
    assert Patient.objects.get(pk=patient.patient.pk).sex == sex
    assert AuditEvent.objects.filter(detail__startswith="sex: ").exists()


def test_another_clinics_nurse_can_change_nothing(other_clinic_nurse: Any, patient: EnrolledPatient) -> None:
    from tests.dashboard.conftest import signed_in

    client = signed_in(other_clinic_nurse)
    assert page(client, patient).status_code == 404
    assert enter(client, patient, analyte="alt", value="100", unit="U/L").status_code == 404
    assert client.post(f"/patients/{patient.patient.pk}/sex/", {"sex": "male"}).status_code == 404
    assert not LabBaseline.objects.exists() and Patient.objects.get(pk=patient.patient.pk).sex == ""


def test_the_enrollment_form_records_the_sex(nurse_browser: Client) -> None:
    form = {
        "display_name": "Sam Dashboard",
        "timezone": "America/Chicago",
        "sex": "male",
        "start_date": "2026-11-02",
        "ixazomib_mg": "4",
        "lenalidomide_mg": "25",
        "dexamethasone_mg": "40",
    }
    assert nurse_browser.post("/patients/new/", form).status_code == 302
    assert Patient.objects.get(display_name="Sam Dashboard").sex == "male"
