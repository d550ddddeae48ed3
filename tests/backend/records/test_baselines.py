"""Specification of the patient's lab baselines and sex on the server (backend.records.baselines):
which baseline applies, how the grader uses it and the sex recorded at enrollment, how a nurse
enters one, and how the sync answer carries both to the phone.

The patients of these tests start cycle 1 on 2026-11-01 in America/New_York.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from backend.alerts.models import Alert
from backend.patients.models import Patient
from backend.records.baselines import baselines_for, lab_contexts
from backend.records.models import LabBaseline, LabResult
from shared.lab_values import parse_lab_value
from tests.backend.support import grade_all, sync
from tests.factories import EnrolledPatient, Person, lab_item, make_patient

BEFORE_C1D1 = "2026-10-30T08:00:00-04:00"
ON_C1D1_EVENING = "2026-11-01T23:30:00-05:00"  # still 1 Nov in New York (04:30 UTC on 2 Nov)
AFTER_C1D1 = "2026-11-02T00:30:00-05:00"


def synced(patient: EnrolledPatient, *items: dict[str, Any]) -> None:
    response = sync(patient, lab_results=list(items))
    assert response.status_code == 200 and response.json()["rejected"] == [], response.json()


def alerts_of(patient: EnrolledPatient) -> list[Alert]:
    grade_all()
    return list(Alert.objects.filter(patient=patient.patient).order_by("observed_at"))


def baselines_url(patient: EnrolledPatient, analyte: str = "") -> str:
    base = f"/api/v1/patients/{patient.patient.pk}/baselines/"
    return f"{base}{analyte}/" if analyte else base


# --- which baseline applies -------------------------------------------------------------------


def test_the_baseline_is_the_last_reading_on_or_before_cycle_1_day_1_in_the_patients_zone(
    patient: EnrolledPatient,
) -> None:
    synced(
        patient,
        lab_item("creatinine", 0.6, "mg/dL", collected_at=BEFORE_C1D1),
        lab_item("creatinine", 0.7, "mg/dL", collected_at=ON_C1D1_EVENING),
        lab_item("creatinine", 0.9, "mg/dL", collected_at=AFTER_C1D1),
    )
    found = baselines_for([patient.patient])[patient.patient.pk]["creatinine"].baseline
    assert (str(found.value), found.on, found.source) == ("0.700000", date(2026, 11, 1), "lab")


def test_an_entered_baseline_wins_over_the_readings(patient: EnrolledPatient, nurse: Person) -> None:
    synced(patient, lab_item("creatinine", 0.6, "mg/dL", collected_at=BEFORE_C1D1))
    response = nurse.client().put(baselines_url(patient, "creatinine"), {"value": 70, "unit": "umol/L"}, format="json")
    assert response.status_code == 200, response.json()
    row = next(item for item in response.json() if item["analyte"] == "creatinine")
    assert row == {"analyte": "creatinine", "value": 70, "unit": "umol/L", "reference_high": None, "on": None,
                   "source": "entered"}  # fmt: skip
    nurse.client().delete(baselines_url(patient, "creatinine"))
    assert baselines_for([patient.patient])[patient.patient.pk]["creatinine"].baseline.source == "lab"


def test_an_analyte_without_a_baseline_rule_has_none(patient: EnrolledPatient) -> None:
    synced(patient, lab_item("platelets", 200, "K/uL", collected_at=BEFORE_C1D1))
    assert baselines_for([patient.patient])[patient.patient.pk] == {}


def test_several_patients_baselines_read_together_are_each_ones_read_alone(nurse: Person) -> None:
    """One patient's baselines are read by a query compiled once (the sync's lab context); several
    patients' by the ORM: the same baselines either way, each patient's own."""
    first, second = make_patient(nurse), make_patient(nurse, name="Sam Second", tz="Asia/Tokyo")
    synced(first, lab_item("creatinine", 0.6, "mg/dL", collected_at=BEFORE_C1D1))
    synced(first, lab_item("alt", 30, "U/L", collected_at=ON_C1D1_EVENING))
    synced(second, lab_item("creatinine", 0.8, "mg/dL", collected_at=BEFORE_C1D1))
    synced(second, lab_item("alt", 40, "U/L", collected_at=ON_C1D1_EVENING))  # 2 Nov in Tokyo: too late
    response = nurse.client().put(baselines_url(second, "ast"), {"value": 25, "unit": "U/L"}, format="json")
    assert response.status_code == 200, response.json()

    together = baselines_for([first.patient, second.patient])

    assert together[first.patient.pk] == baselines_for([first.patient])[first.patient.pk]
    assert together[second.patient.pk] == baselines_for([second.patient])[second.patient.pk]
    assert sorted(together[first.patient.pk]) == ["alt", "creatinine"]
    assert sorted(together[second.patient.pk]) == ["ast", "creatinine"]


# --- grading with it ----------------------------------------------------------------------------


def test_creatinine_2_11_over_a_baseline_of_0_7_is_grade_3_and_holds_ixazomib(patient: EnrolledPatient) -> None:
    Patient.objects.filter(pk=patient.patient.pk).update(sex="male")  # by the men's ULN 1.35 alone: grade 2
    synced(patient, lab_item("creatinine", 0.7, "mg/dL", collected_at=BEFORE_C1D1))
    synced(patient, lab_item("creatinine", 2.11, "mg/dL"))

    (alert,) = alerts_of(patient)

    assert (alert.kind, alert.grade, alert.hold_drugs) == ("creatinine_increased", 3, ["ixazomib"])
    assert "by > 3.0 × baseline 0.7 mg/dL (baseline of 2026-10-30, the last before cycle 1 day 1;" in alert.message


def test_alt_201_over_an_abnormal_baseline_of_100_is_grade_1_and_raises_no_alert(
    patient: EnrolledPatient, nurse: Person
) -> None:
    nurse.client().put(baselines_url(patient, "alt"), {"value": 100, "unit": "U/L"}, format="json")
    item = lab_item("alt", 201, "U/L")
    synced(patient, item)

    assert alerts_of(patient) == []
    assert grade_of(item) == 1


def test_without_a_baseline_alt_201_is_grade_3_by_the_uln(patient: EnrolledPatient) -> None:
    item = lab_item("alt", 201, "U/L")
    synced(patient, item)
    (alert,) = alerts_of(patient)
    assert alert.grade == 3 and "by > 5.0 × ULN (ULN 40 U/L, CareLoop default)" in alert.message


def test_the_baseline_reading_is_not_graded_against_itself(patient: EnrolledPatient) -> None:
    item = lab_item("alt", 100, "U/L", collected_at=BEFORE_C1D1)
    synced(patient, item)
    grade_all()
    assert grade_of(item) == 1  # > ULN 40, as if there were no baseline


def grade_of(item: dict[str, Any]) -> int | None:
    return LabResult.objects.get(pk=item["id"]).grade


@pytest.mark.parametrize(("sex", "grade"), [("male", 1), ("female", 0)])
def test_the_sex_recorded_at_enrollment_picks_the_hemoglobin_lln(nurse: Person, sex: str, grade: int) -> None:
    response = nurse.client().post(
        "/api/v1/patients/",
        {"display_name": "Sam", "timezone": "America/New_York", "sex": sex, "regimen": {"start_date": "2026-11-01"}},
        format="json",
    )
    assert response.status_code == 201 and response.json()["sex"] == sex
    patient = Patient.objects.get(pk=response.json()["id"])
    assert lab_contexts([patient])[patient.pk].sex is not None
    assert lab_contexts([patient])[patient.pk].grade(parse_lab_value("hemoglobin", 13, "g/dL")).grade == grade


def test_sex_is_optional_and_checked(nurse: Person) -> None:
    body = {"display_name": "Sam", "timezone": "America/New_York", "regimen": {"start_date": "2026-11-01"}}
    assert nurse.client().post("/api/v1/patients/", body, format="json").json()["sex"] == ""
    refused = nurse.client().post("/api/v1/patients/", {**body, "sex": "robot"}, format="json")
    assert refused.status_code == 400 and "sex" in refused.json()["errors"]


# --- the nurse's API ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("analyte", "body", "field"),
    [
        ("platelets", {"value": 200, "unit": "K/uL"}, "analyte"),
        ("creatinine", {"value": 0.7, "unit": "K/uL"}, "unit"),
        ("creatinine", {"value": "0.7", "unit": "mg/dL"}, "value"),
        ("creatinine", {"value": 400, "unit": "mg/dL"}, "value"),
    ],
)
def test_a_baseline_is_checked_like_any_reading(
    patient: EnrolledPatient, nurse: Person, analyte: str, body: dict[str, Any], field: str
) -> None:
    response = nurse.client().put(baselines_url(patient, analyte), body, format="json")
    assert response.status_code == 400 and field in response.json()["errors"], response.json()
    assert not LabBaseline.objects.exists()


def test_another_clinics_nurse_can_neither_read_nor_enter_a_baseline(
    patient: EnrolledPatient, other_clinic_nurse: Person
) -> None:
    client = other_clinic_nurse.client()
    assert client.get(baselines_url(patient)).status_code == 404
    assert client.put(baselines_url(patient, "alt"), {"value": 1, "unit": "U/L"}, format="json").status_code == 404
    assert not LabBaseline.objects.exists()


def test_the_patient_cannot_enter_their_own_baseline(patient: EnrolledPatient) -> None:
    response = patient.client().put(baselines_url(patient, "alt"), {"value": 1, "unit": "U/L"}, format="json")
    assert response.status_code == 403


# --- the sync answer -------------------------------------------------------------------------------


def test_the_sync_answer_carries_the_sex_and_baselines_for_the_phone(patient: EnrolledPatient, nurse: Person) -> None:
    Patient.objects.filter(pk=patient.patient.pk).update(sex="female")
    nurse.client().put(
        baselines_url(patient, "alt"), {"value": 100, "unit": "U/L", "reference_high": 56}, format="json"
    )
    synced(patient, lab_item("creatinine", 61.9, "umol/L", collected_at=BEFORE_C1D1))

    context = sync(patient).json()["lab_context"]

    assert context == {
        "sex": "female",
        "baselines": {
            "alt": {"value": 100, "unit": "U/L", "reference_high": 56, "on": None, "source": "entered"},
            "creatinine": {
                "value": 61.9,
                "unit": "umol/L",
                "reference_high": None,
                "on": "2026-10-30",
                "source": "lab",
            },
        },
    }
