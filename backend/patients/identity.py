"""What identifies a patient besides the name: the clinic's MRN (unique within the clinic when
given) and the date of birth (an adult's). Checked at enrollment and when the details change."""

from __future__ import annotations

from datetime import date

from backend.core.errors import ApplicationError
from backend.patients.clinical_profile import AGE_RANGE
from backend.patients.models import Patient

MRN_MAX = 40
MRN_TAKEN = "Another patient of this clinic has this MRN."


def adult_birth_date_error(born: date, today: date) -> str | None:
    """Why `born` cannot be an adult patient's date of birth today (18 to 120 years), or None."""
    low, high = AGE_RANGE
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    if born > today:
        return "Must not be in the future."
    if not low <= age <= high:
        return f"Must be an adult's: {low} to {high} years old today."
    return None


def mrn_taken(*, clinic_id: int, mrn: str, patient_id: object | None = None) -> bool:
    if not mrn:
        return False
    found = Patient.objects.filter(clinic_id=clinic_id, mrn=mrn)
    if patient_id is not None:
        found = found.exclude(pk=patient_id)
    return found.exists()


def identity_errors(
    *, clinic_id: int, mrn: str, date_of_birth: date | None, today: date, patient_id: object | None = None
) -> dict[str, list[str]]:
    """The reasons, by field, that `mrn` (trimmed) and `date_of_birth` cannot be recorded."""
    errors: dict[str, list[str]] = {}
    if len(mrn) > MRN_MAX:
        errors["mrn"] = [f"At most {MRN_MAX} characters."]
    elif mrn_taken(clinic_id=clinic_id, mrn=mrn, patient_id=patient_id):
        errors["mrn"] = [MRN_TAKEN]
    if date_of_birth is not None:
        problem = adult_birth_date_error(date_of_birth, today)
        if problem:
            errors["date_of_birth"] = [problem]
    return errors


def identity_validate(*, clinic_id: int, mrn: str, date_of_birth: date | None, today: date) -> None:
    errors = identity_errors(clinic_id=clinic_id, mrn=mrn, date_of_birth=date_of_birth, today=today)
    if errors:
        raise ApplicationError(errors)
