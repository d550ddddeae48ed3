"""Enrolling patients: the nurse creates the patient and a single-use code; the phone trades the
code for its own device token."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from backend.accounts.models import DeviceToken, Role, User, code_digests, hash_code
from backend.accounts.services import token_issue, tokens_revoke_all
from backend.audit.services import audit_record
from backend.core.errors import ApplicationError
from backend.patients.calendar import delays_payload, patient_calendar
from backend.patients.changes import patient_change_audited
from backend.patients.events import patient_created, timezone_changed
from backend.patients.identity import identity_validate
from backend.patients.models import SEX_CHOICES, EnrollmentCode, Patient
from shared import regimen

# Crockford-style alphabet: no 0/O, 1/I/L confusion when read over the phone.
_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
_CODE_LENGTH = 8
CODE_INVALID = "This code is not valid. Check it, or ask your care team for a new one."
CODE_USED = "This code has already been used. Ask your care team for a new one."
CODE_EXPIRED = "This code has expired. Ask your care team for a new one."

DEXAMETHASONE_RANGE_MG = (Decimal(4), Decimal(40))
SEXES = tuple(key for key, _ in SEX_CHOICES)
DOSE_DRUGS = tuple(d.value for d in regimen.Drug)


@dataclass(frozen=True)
class RegimenInput:
    start_date: date
    ixazomib_mg: Decimal
    lenalidomide_mg: Decimal
    dexamethasone_mg: Decimal


def timezone_validate(name: str) -> str:
    if name not in _zones():
        raise ApplicationError({"timezone": ["Must be an IANA time zone name, e.g. America/New_York."]})
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ApplicationError({"timezone": ["Unknown time zone."]}) from exc
    return name


_ZONES: frozenset[str] = frozenset()


def _zones() -> frozenset[str]:
    global _ZONES
    if not _ZONES:
        _ZONES = frozenset(available_timezones())
    return _ZONES


def regimen_validate(data: RegimenInput) -> None:
    errors: dict[str, list[str]] = {}
    if data.ixazomib_mg not in regimen.IXAZOMIB_DOSE_LEVELS_MG:
        levels = ", ".join(str(d) for d in regimen.IXAZOMIB_DOSE_LEVELS_MG)
        errors["regimen.ixazomib_mg"] = [f"Must be a NINLARO dose level: {levels} mg."]
    if data.lenalidomide_mg not in regimen.LENALIDOMIDE_DOSE_LEVELS_MG:
        levels = ", ".join(str(d) for d in regimen.LENALIDOMIDE_DOSE_LEVELS_MG)
        errors["regimen.lenalidomide_mg"] = [f"Must be a lenalidomide dose level: {levels} mg."]
    low, high = DEXAMETHASONE_RANGE_MG
    if not low <= data.dexamethasone_mg <= high:
        errors["regimen.dexamethasone_mg"] = [f"Must be between {low} and {high} mg."]
    if errors:
        raise ApplicationError(errors)


def _new_code() -> str:
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(_CODE_LENGTH))


def normalize_code(raw: str) -> str:
    return raw.strip().upper().replace("-", "").replace(" ", "")


def format_code(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"


def enrollment_code_issue(*, patient: Patient, issued_by: User | None, now: datetime | None = None) -> str:
    """A fresh single-use code for the patient's phone; earlier unused codes stop working."""
    now = now or timezone.now()
    EnrollmentCode.objects.filter(patient=patient, used_at__isnull=True).update(used_at=now)
    code = _new_code()
    EnrollmentCode.objects.create(
        code_hash=hash_code(code),
        patient=patient,
        created_by=issued_by,
        expires_at=now + timedelta(hours=settings.ENROLLMENT_CODE_TTL_HOURS),
    )
    return format_code(code)


@transaction.atomic
def patient_create(
    *,
    nurse: User,
    display_name: str,
    timezone_name: str,
    regimen_input: RegimenInput,
    phone: str = "",
    sex: str = "",
    can_become_pregnant: bool | None = None,
    mrn: str = "",
    date_of_birth: date | None = None,
) -> tuple[Patient, str]:
    """`mrn` (optional) is unique within the clinic; `date_of_birth` (optional) an adult's, and it
    sets birth_year (backend.patients.identity). `sex` (optional, "female" or "male") picks the
    default reference limits of the patient's lab values; left empty, the stricter of the women's
    and men's apply. `can_become_pregnant` (optional) turns on the lenalidomide REMS pregnancy-test
    reminders (shared.rems)."""
    if nurse.clinic_id is None:
        raise ApplicationError({"detail": ["You are not attached to a clinic."]}, status=403)
    timezone_validate(timezone_name)
    regimen_validate(regimen_input)
    if sex not in ("", *SEXES):
        raise ApplicationError({"sex": [f"Must be one of: {', '.join(SEXES)}, or left out."]})
    mrn = mrn.strip()
    identity_validate(clinic_id=nurse.clinic_id, mrn=mrn, date_of_birth=date_of_birth, today=timezone.localdate())
    patient = Patient.objects.create(
        mrn=mrn,
        date_of_birth=date_of_birth,
        birth_year=date_of_birth.year if date_of_birth else None,
        clinic_id=nurse.clinic_id,
        display_name=display_name,
        timezone=timezone_name,
        phone=phone,
        sex=sex,
        can_become_pregnant=can_become_pregnant,
        start_date=regimen_input.start_date,
        ixazomib_mg=regimen_input.ixazomib_mg,
        lenalidomide_mg=regimen_input.lenalidomide_mg,
        dexamethasone_mg=regimen_input.dexamethasone_mg,
    )
    patient_created.send(sender=Patient, patient=patient)  # reminders: the plan, from the clinic's default
    return patient, enrollment_code_issue(patient=patient, issued_by=nurse)


@transaction.atomic
def patient_enroll(*, code: object, device_name: object) -> tuple[str, Patient]:
    """Trade a code for a device token. The code is claimed with a conditional update, so two
    phones racing with one code cannot both win."""
    if not isinstance(code, str) or not code.strip():
        raise ApplicationError({"code": ["This field is required."]})
    if device_name is not None and not isinstance(device_name, str):
        raise ApplicationError({"device_name": ["Must be text."]})
    now = timezone.now()
    digests = code_digests(normalize_code(code))
    found = EnrollmentCode.objects.select_related("patient").filter(code_hash__in=digests).first()
    if found is None:
        raise ApplicationError({"code": [CODE_INVALID]})
    if found.used_at is not None:
        raise ApplicationError({"code": [CODE_USED]})
    if found.expires_at <= now:
        raise ApplicationError({"code": [CODE_EXPIRED]})
    if EnrollmentCode.objects.filter(pk=found.pk, used_at__isnull=True).update(used_at=now) != 1:
        raise ApplicationError({"code": [CODE_USED]})
    patient = found.patient
    if patient.user_id is None:
        user = User.objects.create(username=f"patient-{patient.id}", role=Role.PATIENT, clinic_id=patient.clinic_id)
        user.set_unusable_password()
        user.save(update_fields=["password"])
        patient.user = user
        patient.save(update_fields=["user"])
    assert patient.user is not None
    # The phones enrolled before are signed out: a lost or replaced phone must not keep reading.
    # (The nurse is told which when she issues the code: dashboard, patient page.)
    tokens_revoke_all(user=patient.user, now=now)
    token = token_issue(user=patient.user, device_name=(device_name or "phone").strip() or "phone")
    return token, patient


@transaction.atomic
def patient_device_revoke(*, patient: Patient, device_id: int, revoked_by: User, now: datetime | None = None) -> bool:
    """A nurse signs one of the patient's phones out (lost, stolen, replaced); audited. False when
    the device is not the patient's or was already signed out."""
    if patient.user_id is None:
        return False
    revoked = DeviceToken.objects.filter(pk=device_id, user_id=patient.user_id, revoked_at__isnull=True).update(
        revoked_at=now or timezone.now()
    )
    if revoked:
        audit_record(
            actor=revoked_by,
            action="revoke",
            resource="device",
            patient_ids=[patient.pk],
            object_id=str(device_id),
            detail="phone signed out from the dashboard",
        )
    return bool(revoked)


@transaction.atomic
def patient_timezone_change(
    *, patient: Patient, timezone_name: str, changed_by: User, now: datetime | None = None
) -> Patient:
    """Move a patient (who travelled or moved) to another zone. Their reminders keep their local
    wall-clock times: the pending ones still ahead are re-timed at once, in this transaction, by
    the planning step the beat tick uses (reminders_replan, on the timezone_changed event), so a
    09:00 dose stays at 09:00 in the new zone, across DST too. Sent, skipped and not-needed reminders
    are final and untouched, and a dose whose reminder went out in the old zone is not reminded
    again: reminders are keyed by local date, one per dose. Quiet hours kept in the old zone follow.
    Audited; nothing happens when the zone is the same."""
    timezone_validate(timezone_name)
    locked = Patient.objects.select_for_update().get(pk=patient.pk)
    old = locked.timezone
    if old == timezone_name:
        return locked
    locked.timezone = timezone_name
    locked.save(update_fields=["timezone"])
    # Reminders re-time the pending ones; notifications move quiet hours that followed the old zone.
    timezone_changed.send(
        sender=Patient, patient=locked, old_zone=old, new_zone=timezone_name, now=now or timezone.now()
    )
    patient_change_audited(actor=changed_by, patient=locked, detail=f"timezone: {old} -> {timezone_name}")
    patient.timezone = timezone_name
    return locked


def _mg(dose: Decimal) -> str:
    return format(dose.normalize(), "f")


def regimen_today(
    patient: Patient, now: datetime | None = None, calendar: regimen.Calendar | None = None
) -> dict[str, object]:
    """Where the patient is in their IRd calendar today, in their own time zone, the care team's
    cycle delays included (`calendar`: the patient's, when the caller has it already)."""
    now = now or timezone.now()
    today = now.astimezone(ZoneInfo(patient.timezone)).date()
    calendar = calendar or patient_calendar(patient)
    position = regimen.cycle_day(calendar, today)
    stopped = regimen.stopped_drugs(
        {
            "ixazomib": patient.ixazomib_mg,
            "lenalidomide": patient.lenalidomide_mg,
            "dexamethasone": patient.dexamethasone_mg,
        }
    )
    return {
        "start_date": patient.start_date.isoformat(),
        "ixazomib_mg": _mg(patient.ixazomib_mg),
        "lenalidomide_mg": _mg(patient.lenalidomide_mg),
        "dexamethasone_mg": _mg(patient.dexamethasone_mg),
        "timezone": patient.timezone,
        "today": today.isoformat(),
        "cycle": position.cycle if position else None,
        "day": position.day if position else None,
        # A drug the care team stopped (0 mg, dose_decisions) is no longer due.
        "drugs_due": [d.value for d in regimen.drugs_due(calendar, today) if d not in stopped],
        "in_nadir_window": regimen.is_in_nadir_window(calendar, today),
        # Added to the contract's fields: the drugs the care team put on hold (dose_decisions), still
        # listed in drugs_due as the label's holds are; the reminders say they are on hold.
        "held_drugs": [d for d in patient.held_drugs or () if d in DOSE_DRUGS],
        "next_ixazomib": regimen.next_dose_date(calendar, regimen.Drug.IXAZOMIB, today).isoformat(),
        # Added to the contract's fields: the phone rebuilds the same calendar from start_date and
        # these ({cycle, delay_days}: day 1 of that cycle and later ones moves that much later).
        "cycle_delays": delays_payload(calendar),
        "next_cycle_start": regimen.cycle_start_date(
            calendar, regimen.next_cycle_start(calendar, today).cycle
        ).isoformat(),
    }


@transaction.atomic
def patient_sex_change(*, patient: Patient, sex: str, changed_by: User) -> Patient:
    """Record (or clear, with "") the sex whose default reference limits apply to the patient's lab
    values (shared.analytes: hemoglobin LLN, creatinine ULN). Readings already graded keep their
    grade; new ones use it. Audited; nothing happens when it is the same."""
    if sex not in ("", *SEXES):
        raise ApplicationError({"sex": [f"Must be one of: {', '.join(SEXES)}, or empty if not recorded."]})
    locked = Patient.objects.select_for_update().get(pk=patient.pk)
    if locked.sex == sex:
        return locked
    old, locked.sex = locked.sex, sex
    locked.save(update_fields=["sex"])
    detail = f"sex: {old or 'not recorded'} -> {sex or 'not recorded'}"
    patient_change_audited(actor=changed_by, patient=locked, detail=detail)
    return locked
