"""Specification of a patient's details (backend.patients.details, .identity): name, MRN, date of
birth, sex, weight; checked, audited by field name only. The date of birth is the one source of the
age: the API's clinical profile keeps reading and writing `birth_year`, which follows it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.db import IntegrityError

from backend.audit.models import AuditEvent
from backend.core.errors import ApplicationError
from backend.patients.details import PatientDetails, patient_details_change
from backend.patients.models import Patient
from tests.backend.support import error_fields
from tests.factories import EnrolledPatient, Person, make_patient

pytestmark = pytest.mark.django_db
TODAY = date(2026, 12, 2)


def save(patient: EnrolledPatient, nurse: Person, **fields: Any) -> list[str]:
    details = PatientDetails(**({"display_name": patient.patient.display_name} | fields))
    return patient_details_change(patient=patient.patient, details=details, changed_by=nurse.user, today=TODAY)


def test_the_details_are_saved_and_the_audit_names_the_fields_not_the_values(
    patient: EnrolledPatient, nurse: Person
) -> None:
    changed = save(
        patient,
        nurse,
        display_name="  José   Müller ",
        mrn=" A-1001 ",
        date_of_birth=date(1956, 3, 14),
        sex="male",
        weight_kg=Decimal("71.5"),
    )
    assert changed == ["display_name", "mrn", "date_of_birth", "sex", "weight_kg"]
    stored = Patient.objects.get(pk=patient.patient.pk)
    assert (stored.display_name, stored.search_name, stored.mrn) == ("José Müller", "jose muller", "A-1001")
    assert (stored.date_of_birth, stored.birth_year, stored.sex, stored.weight_kg) == (
        date(1956, 3, 14),
        1956,
        "male",
        Decimal("71.5"),
    )
    event = AuditEvent.objects.filter(action="update", resource="patient").latest("pk")
    assert event.detail == "details: display_name, mrn, date_of_birth, sex, weight_kg"
    assert "José" not in event.detail and "A-1001" not in event.detail


def test_saving_the_same_details_writes_nothing(patient: EnrolledPatient, nurse: Person) -> None:
    save(patient, nurse, mrn="A-1")
    count = AuditEvent.objects.count()
    assert save(patient, nurse, mrn="A-1") == []
    assert AuditEvent.objects.count() == count


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"display_name": "   "}, "display_name"),
        ({"display_name": "x" * 121}, "display_name"),
        ({"date_of_birth": date(2009, 1, 1)}, "date_of_birth"),  # 17: not an adult
        ({"date_of_birth": date(1900, 1, 1)}, "date_of_birth"),  # 126
        ({"date_of_birth": date(2027, 1, 1)}, "date_of_birth"),  # in the future
        ({"weight_kg": Decimal("24.9")}, "weight_kg"),
        ({"weight_kg": Decimal("300.1")}, "weight_kg"),
        ({"weight_kg": Decimal("NaN")}, "weight_kg"),
        ({"sex": "other"}, "sex"),
        ({"mrn": "x" * 41}, "mrn"),
    ],
)
def test_implausible_details_are_refused_field_by_field(
    patient: EnrolledPatient, nurse: Person, fields: dict[str, Any], field: str
) -> None:
    with pytest.raises(ApplicationError) as refused:
        save(patient, nurse, **fields)
    assert list(refused.value.errors) == [field]


def test_an_adult_turning_18_today_is_accepted(patient: EnrolledPatient, nurse: Person) -> None:
    assert save(patient, nurse, date_of_birth=date(2008, 12, 2)) == ["date_of_birth"]


def test_an_mrn_is_unique_within_a_clinic_only(
    patient: EnrolledPatient, nurse: Person, other_clinic_nurse: Person
) -> None:
    save(patient, nurse, mrn="MRN-7")
    second = make_patient(nurse, name="Sam Second")
    with pytest.raises(ApplicationError) as refused:
        save(second, nurse, mrn="MRN-7")
    assert refused.value.errors == {"mrn": ["Another patient of this clinic has this MRN."]}
    elsewhere = make_patient(other_clinic_nurse, name="Otto Other")
    assert save(elsewhere, other_clinic_nurse, mrn="MRN-7") == ["mrn"]
    save(second, nurse, mrn="")  # empty is "not recorded", as often as needed
    assert save(make_patient(nurse, name="Third"), nurse, mrn="") == []


def test_the_database_refuses_a_duplicate_mrn_that_races_past_the_check(
    patient: EnrolledPatient, nurse: Person
) -> None:
    save(patient, nurse, mrn="MRN-9")
    second = make_patient(nurse, name="Sam Second")
    with pytest.raises(IntegrityError):
        Patient.objects.filter(pk=second.patient.pk).update(mrn="MRN-9")


def test_the_age_comes_from_the_date_of_birth_when_there_is_one(patient: EnrolledPatient, nurse: Person) -> None:
    stored = Patient.objects.get(pk=patient.patient.pk)
    stored.birth_year = 1956
    assert stored.age_on(date(2026, 3, 13)) == 70  # from the year alone
    save(patient, nurse, date_of_birth=date(1956, 3, 14))
    stored = Patient.objects.get(pk=patient.patient.pk)
    assert (stored.age_on(date(2026, 3, 13)), stored.age_on(date(2026, 3, 14))) == (69, 70)
    save(patient, nurse, date_of_birth=None)  # cleared: the year it gave goes with it
    assert Patient.objects.get(pk=patient.patient.pk).birth_year is None


def test_the_apis_birth_year_follows_the_date_of_birth_and_cannot_contradict_it(
    patient: EnrolledPatient, nurse: Person
) -> None:
    save(patient, nurse, date_of_birth=date(1956, 3, 14))
    url = f"/api/v1/patients/{patient.patient.pk}/clinical-profile/"
    profile = nurse.client().get(url).json()
    assert profile["birth_year"] == 1956
    same = nurse.client().put(url, profile | {"weight_kg": "70.0"}, format="json")
    assert same.status_code == 200 and same.json()["birth_year"] == 1956
    other = nurse.client().put(url, profile | {"birth_year": 1957}, format="json")
    assert other.status_code == 400 and "birth_year" in error_fields(other)
    assert Patient.objects.get(pk=patient.patient.pk).date_of_birth == date(1956, 3, 14)


def test_enrollment_takes_an_mrn_and_a_date_of_birth(nurse: Person) -> None:
    from backend.patients.services import RegimenInput, patient_create

    regimen = RegimenInput(date(2026, 11, 1), Decimal(4), Decimal(25), Decimal(40))
    made, _ = patient_create(
        nurse=nurse.user,
        display_name="Ana",
        timezone_name="UTC",
        regimen_input=regimen,
        mrn="E-1",
        date_of_birth=date(1950, 1, 2),
    )
    assert (made.mrn, made.date_of_birth, made.birth_year) == ("E-1", date(1950, 1, 2), 1950)
    with pytest.raises(ApplicationError) as refused:
        patient_create(nurse=nurse.user, display_name="Bo", timezone_name="UTC", regimen_input=regimen, mrn="E-1")
    assert "mrn" in refused.value.errors
