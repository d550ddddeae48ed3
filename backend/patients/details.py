"""A patient's details, edited by the care team in one form (dashboard, patient page): name, MRN,
date of birth, sex and weight (the dose helpers' Cockcroft-Gault uses the last three)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import IntegrityError, transaction

from backend.accounts.models import User
from backend.core.errors import ApplicationError
from backend.patients.changes import patient_change_audited
from backend.patients.clinical_profile import WEIGHT_RANGE_KG
from backend.patients.identity import MRN_TAKEN, identity_errors
from backend.patients.models import Patient
from backend.patients.services import SEXES

NAME_MAX = 120
FIELDS = ("display_name", "mrn", "date_of_birth", "sex", "weight_kg")


@dataclass(frozen=True)
class PatientDetails:
    display_name: str
    mrn: str = ""
    date_of_birth: date | None = None
    sex: str = ""
    weight_kg: Decimal | None = None


def details_validate(details: PatientDetails, *, clinic_id: int, patient_id: object, today: date) -> PatientDetails:
    """The details trimmed, or ApplicationError naming every bad field."""
    cleaned = PatientDetails(
        display_name=" ".join(details.display_name.split()),
        mrn=details.mrn.strip(),
        date_of_birth=details.date_of_birth,
        sex=details.sex,
        weight_kg=details.weight_kg,
    )
    errors = identity_errors(
        clinic_id=clinic_id, mrn=cleaned.mrn, date_of_birth=cleaned.date_of_birth, today=today, patient_id=patient_id
    )
    if not cleaned.display_name:
        errors["display_name"] = ["This field is required."]
    elif len(cleaned.display_name) > NAME_MAX:
        errors["display_name"] = [f"At most {NAME_MAX} characters."]
    if cleaned.sex not in ("", *SEXES):
        errors["sex"] = [f"Must be one of: {', '.join(SEXES)}, or empty if not recorded."]
    if cleaned.weight_kg is not None:
        low_kg, high_kg = WEIGHT_RANGE_KG
        if not cleaned.weight_kg.is_finite() or not low_kg <= cleaned.weight_kg <= high_kg:
            errors["weight_kg"] = [f"Must be between {low_kg} and {high_kg} kg."]
    if errors:
        raise ApplicationError(errors)
    return cleaned


@transaction.atomic
def patient_details_change(*, patient: Patient, details: PatientDetails, changed_by: User, today: date) -> list[str]:
    """Save the details; the names of the fields that changed (none: nothing written). Audited with
    those names, never their values (the audit trail is read more widely than the record).

    The date of birth is the one source of the age: recording it sets birth_year to its year (what
    the API's clinical profile reads), and clearing it clears birth_year too. Readings already
    graded keep their grade; a new sex applies to new lab values (as patient_sex_change)."""
    locked = Patient.objects.select_for_update().get(pk=patient.pk)
    cleaned = details_validate(details, clinic_id=locked.clinic_id, patient_id=locked.pk, today=today)
    changed = [name for name in FIELDS if getattr(locked, name) != getattr(cleaned, name)]
    if not changed:
        return []
    written = list(changed)
    for name in changed:
        setattr(locked, name, getattr(cleaned, name))
    if "date_of_birth" in changed:
        locked.birth_year = cleaned.date_of_birth.year if cleaned.date_of_birth else None
        written.append("birth_year")
    try:
        with transaction.atomic():  # a savepoint: a racing MRN is a form error, not a broken transaction
            locked.save(update_fields=written)
    except IntegrityError:
        raise ApplicationError({"mrn": [MRN_TAKEN]}) from None
    for name in written:
        setattr(patient, name, getattr(locked, name))
    patient.search_name = locked.search_name
    patient_change_audited(actor=changed_by, patient=locked, detail=f"details: {', '.join(changed)}")
    return changed
