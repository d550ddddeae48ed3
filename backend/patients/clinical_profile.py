"""What the labels' organ-function and REMS rules need to know about a patient, all optional: the
birth year (the date of birth's year when one is recorded: backend.patients.details) and weight
(Cockcroft-Gault CrCl, shared.organ_function), dialysis, and whether the patient can become
pregnant (lenalidomide REMS pregnancy tests, shared.rems)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction

from backend.accounts.models import User
from backend.core.errors import ApplicationError
from backend.patients.changes import patient_change_audited
from backend.patients.models import Patient

WEIGHT_RANGE_KG = (Decimal(25), Decimal(300))
#: Adults only (Cockcroft-Gault is an adult formula): 18 to 120 years before this year.
AGE_RANGE = (18, 120)
BIRTH_YEAR_FROM_DATE = (
    "The patient's date of birth is recorded and gives the birth year: change or clear the date of birth "
    "(dashboard, patient details) instead."
)
FIELDS = ("birth_year", "weight_kg", "on_dialysis", "can_become_pregnant")


@dataclass(frozen=True)
class ClinicalProfile:
    birth_year: int | None
    weight_kg: Decimal | None
    on_dialysis: bool
    can_become_pregnant: bool | None


def _validate(profile: ClinicalProfile, today: date) -> None:
    errors: dict[str, list[str]] = {}
    if profile.birth_year is not None:
        low, high = today.year - AGE_RANGE[1], today.year - AGE_RANGE[0]
        if not low <= profile.birth_year <= high:
            errors["birth_year"] = [f"Must be between {low} and {high} (an adult)."]
    if profile.weight_kg is not None:
        low_kg, high_kg = WEIGHT_RANGE_KG
        if not profile.weight_kg.is_finite() or not low_kg <= profile.weight_kg <= high_kg:
            errors["weight_kg"] = [f"Must be between {low_kg} and {high_kg} kg."]
    if errors:
        raise ApplicationError(errors)


@transaction.atomic
def patient_clinical_profile_change(
    *, patient: Patient, profile: ClinicalProfile, changed_by: User, today: date
) -> Patient:
    """Record (or clear, with None) the values; audited with the names of the fields that changed
    (not their values: the audit trail is read more widely than the record)."""
    _validate(profile, today)
    locked = Patient.objects.select_for_update().get(pk=patient.pk)
    # The date of birth, when recorded, is the one source of the age: birth_year is its year.
    if locked.date_of_birth is not None and profile.birth_year != locked.date_of_birth.year:
        raise ApplicationError({"birth_year": [BIRTH_YEAR_FROM_DATE]})
    changed = [name for name in FIELDS if getattr(locked, name) != getattr(profile, name)]
    if not changed:
        return locked
    for name in changed:
        setattr(locked, name, getattr(profile, name))
        setattr(patient, name, getattr(profile, name))
    locked.save(update_fields=changed)
    patient_change_audited(actor=changed_by, patient=locked, detail=f"clinical profile: {', '.join(changed)}")
    return locked
