"""The patient page's dose panel: the label's suggestion for the end of a hold, the nurse's decision
(recorded, audited, shown in the dose history), the kidney-function warning, and the relative dose
intensity beside adherence. Own clinic only; a refused decision is explained and changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.test import Client

from backend.patients.models import DoseDecision, Patient
from tests.backend.support import sync
from tests.dashboard.support import grade_all, text
from tests.factories import EnrolledPatient, dose_item, lab_item

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 2, 15, tzinfo=UTC)  # Pat (start 1 Nov 2026) on cycle 2 day 4


@pytest.fixture
def frozen(time_machine: time_machine.TimeMachineFixture) -> None:
    """The clock at NOW, before the nurse signs in (listed first, so it comes first)."""
    time_machine.move_to(NOW, tick=False)


def page(client: Client, patient: EnrolledPatient) -> Any:
    return client.get(f"/patients/{patient.patient.pk}/")


def decide(client: Client, patient: EnrolledPatient, **fields: str) -> Any:
    return client.post(f"/patients/{patient.patient.pk}/doses/", fields)


def test_the_page_shows_the_labels_suggestion_when_a_hold_ends(nurse_browser: Client, patient: EnrolledPatient) -> None:
    shown = text(page(nurse_browser, patient))
    assert "Doses" in shown and "When a hold ends, the label suggests" in shown
    assert "Platelets < 30 ×10⁹/L, recovered ixazomib 4 mg, lenalidomide 20 mg" in shown


def test_a_nurse_reduces_a_dose_and_the_history_says_who_and_why(
    nurse_browser: Client, patient: EnrolledPatient
) -> None:
    response = decide(
        nurse_browser, patient, action="reduce", drug="ixazomib", toxicity="neuropathy", grade="3", reason="PN g3"
    )
    assert response.status_code == 302
    assert Patient.objects.get(pk=patient.patient.pk).ixazomib_mg == 3
    shown = text(page(nurse_browser, patient))
    assert "Reduce one dose level · Ixazomib 4 → 3 mg · neuropathy grade 3 PN g3 nurse.nina" in shown


def test_a_refused_decision_is_explained_and_changes_nothing(nurse_browser: Client, patient: EnrolledPatient) -> None:
    response = decide(nurse_browser, patient, action="delay_cycle")
    assert response.status_code == 200
    assert '<details class="dose-decide" open>' in response.content.decode()
    assert not DoseDecision.objects.exists()


def test_another_clinic_cannot_decide(other_browser: Client, patient: EnrolledPatient) -> None:
    assert decide(other_browser, patient, action="stop").status_code == 404
    assert Patient.objects.get(pk=patient.patient.pk).lenalidomide_mg == 25


def test_the_nurse_is_warned_when_the_dose_is_above_the_label_for_the_kidney_function(
    frozen: None, nurse_browser: Client, patient: EnrolledPatient
) -> None:
    missing = "a creatinine, the date of birth or birth year, the weight, the sex"
    assert f"CrCl not computed: {missing} not recorded." in text(page(nurse_browser, patient))
    Patient.objects.filter(pk=patient.patient.pk).update(birth_year=1950, weight_kg=Decimal(60), sex="male")
    sync(patient, lab_results=[lab_item("creatinine", 2.0, "mg/dL")])
    shown = text(page(nurse_browser, patient))
    # (140 - 76) * 60 / (72 * 2.0) = 26.7 mL/min: both drugs above the label's doses.
    assert "CrCl 26.7 mL/min (Cockcroft-Gault" in shown
    assert "Ixazomib 4 mg is above the label's 3 mg starting dose" in shown
    assert "Lenalidomide 25 mg daily is above the label's 15 mg every 48 hours" in shown


def test_a_nurse_records_birth_year_weight_and_rems_status_on_the_page(
    nurse_browser: Client, patient: EnrolledPatient
) -> None:
    fields = {"birth_year": "1960", "weight_kg": "80", "can_become_pregnant": "no"}
    response = nurse_browser.post(f"/patients/{patient.patient.pk}/profile/", fields)
    assert response.status_code == 302
    stored = Patient.objects.get(pk=patient.patient.pk)
    assert (stored.birth_year, stored.weight_kg, stored.on_dialysis, stored.can_become_pregnant) == (
        1960,
        Decimal(80),
        False,
        False,
    )
    refused = nurse_browser.post(f"/patients/{patient.patient.pk}/profile/", {"weight_kg": "3"})
    assert refused.status_code == 200
    assert '<details class="clinical-profile" open>' in refused.content.decode()
    assert Patient.objects.get(pk=patient.patient.pk).weight_kg == 80


def test_after_a_platelet_hold_the_page_suggests_the_labels_next_dose_and_fills_the_form(
    nurse_browser: Client, patient: EnrolledPatient
) -> None:
    sync(patient, lab_results=[lab_item("platelets", 22)])
    grade_all()
    response = page(nurse_browser, patient)
    shown = text(response)
    assert "Latest hold:" in shown
    assert "the label suggests: ixazomib 4 mg, lenalidomide 20 mg." in shown
    body = response.content.decode()
    assert 'name="subject" value="alert:' in body
    assert '<option value="lenalidomide" selected>' in body
    fields = _form_fields(body)
    assert fields["seen"] == "0"
    assert decide(nurse_browser, patient, **fields).status_code == 302
    refused = decide(nurse_browser, patient, **fields)  # the same form sent twice: not reduced twice
    assert refused.status_code == 200 and "Another decision was recorded since" in text(refused)
    [decision] = DoseDecision.objects.all()
    assert (decision.action, decision.drug, decision.toxicity, decision.subject[:6]) == (
        "reduce",
        "lenalidomide",
        "thrombocytopenia",
        "alert:",
    )


def _form_fields(body: str) -> dict[str, str]:
    """The decision form's values as the browser would send them (selected options, hidden inputs)."""
    import re

    form = body[body.index("dose-decide") :]
    form = form[: form.index("</form>")]
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', form))
    fields.pop("csrfmiddlewaretoken", None)
    for name, options in re.findall(r'<select name="(\w+)"[^>]*>(.*?)</select>', form, flags=re.S):
        chosen = re.search(r'<option value="([^"]*)" selected>', options)
        fields[name] = chosen.group(1) if chosen else ""
    grade = re.search(r'name="grade" value="(\d)"', form)
    fields["grade"] = grade.group(1) if grade else ""
    return fields


def test_relative_dose_intensity_is_shown_beside_adherence(
    frozen: None, nurse_browser: Client, patient: EnrolledPatient
) -> None:
    """Cycle 1: ixazomib taken on days 1 and 15 at 4 mg, day 8 not logged: 8 of 12 mg."""
    sync(
        patient,
        dose_logs=[
            dose_item("ixazomib", taken_at="2026-11-01T22:00:00-05:00"),
            dose_item("ixazomib", taken_at="2026-11-15T22:00:00-05:00"),
        ],
    )
    shown = text(page(nurse_browser, patient))
    assert "Relative dose intensity: delivered ÷ planned, doses due before today Drug Cycle 2 Cycle 1" in shown
    # Cycle 2 day 1 (29 Nov) not logged; today (day 4) does not count yet.
    assert "Ixazomib 0.00 0 of 4 mg 0.67 8 of 12 mg Lenalidomide 0.00 0 of 75 mg 0.00 0 of 525 mg" in shown


def test_the_enrollment_form_records_whether_the_patient_can_become_pregnant(nurse_browser: Client) -> None:
    form = {
        "display_name": "Ana Ruiz",
        "timezone": "America/Chicago",
        "can_become_pregnant": "yes",
        "start_date": "2026-11-02",
        "ixazomib_mg": "4",
        "lenalidomide_mg": "25",
        "dexamethasone_mg": "40",
    }
    assert nurse_browser.post("/patients/new/", form).status_code == 302
    assert Patient.objects.get(display_name="Ana Ruiz").can_become_pregnant is True
