"""Pausing, discharging and resuming a patient (issue 16 §2: "discharge or pause a patient: no
reminders, no alerts, data kept").

While a patient is paused or discharged:
* no reminder is sent: pending ones are cancelled at once and none are planned (reminders);
* readings are still accepted by sync, stored and graded, but raise no alert, so nothing is
  announced to nurses or caregivers (alerts); the beat checks (stale labs, count trends, cycle-start
  labs) and the missed-dose and daily-summary messages leave the patient out;
* open alerts stay open in the queue for a nurse to resolve, but are never escalated;
* the phone's sync answer says so (`care_status`), with the words to show: call the clinic for
  urgent symptoms.
Resuming plans the reminders again from now (as any re-plan: one due within the grace period, 2 h,
is still sent, late; none due earlier). Nothing is retroactive: a reading that arrived while
paused stays graded and shown on the patient page, and raises no alert later.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from backend.accounts.models import User
from backend.core.errors import ApplicationError
from backend.patients.changes import patient_change_audited
from backend.patients.events import care_status_changed
from backend.patients.models import CareStatus, Patient

REASON_MAX = 300
#: What the phone shows while the patient is paused or discharged (sync answer's `care_status`).
PHONE_MESSAGES = {
    CareStatus.PAUSED: "Your care team has paused CareLoop's reminders and alerts. What you log is still "
    "kept. For urgent symptoms, call your clinic now.",
    CareStatus.DISCHARGED: "You are discharged from CareLoop: no reminders or alerts. What you log is still "
    "kept. For urgent symptoms, call your clinic now.",
}


@transaction.atomic
def patient_care_status_change(
    *, patient: Patient, status: str, reason: str, changed_by: User, now: datetime | None = None
) -> Patient:
    """Set the patient's status (active, paused or discharged), recording since when, by whom and
    why; audited (the reason is not copied to the audit trail). A reason is required to pause or
    discharge. Nothing happens when the status is the same."""
    now = now or timezone.now()
    reason = reason.strip()
    errors: dict[str, list[str]] = {}
    if status not in CareStatus.values:
        errors["status"] = [f"Must be one of: {', '.join(CareStatus.values)}."]
    elif status != CareStatus.ACTIVE and not reason:
        errors["reason"] = ["Say why, for the colleagues who read it later."]
    if len(reason) > REASON_MAX:
        errors["reason"] = [f"At most {REASON_MAX} characters."]
    if errors:
        raise ApplicationError(errors)
    locked = Patient.objects.select_for_update().get(pk=patient.pk)
    old = locked.care_status
    if old == status:
        return locked
    locked.care_status = status
    locked.care_status_since = now
    locked.care_status_by = changed_by
    locked.care_status_reason = reason
    locked.save(update_fields=["care_status", "care_status_since", "care_status_by", "care_status_reason"])
    for name in ("care_status", "care_status_since", "care_status_by", "care_status_reason"):
        setattr(patient, name, getattr(locked, name))
    care_status_changed.send(sender=Patient, patient=locked, old_status=old, now=now)
    patient_change_audited(actor=changed_by, patient=locked, detail=f"care status: {old} -> {status}")
    return locked


def phone_care_status(patient: Patient) -> dict[str, object]:
    """The sync answer's `care_status`: the status, since when, and for a paused or discharged
    patient the words the phone shows (no reminders or alerts; call the clinic for urgent symptoms)."""
    return {
        "status": patient.care_status,
        "since": patient.care_status_since.isoformat() if patient.care_status_since else None,
        "alerts_paused": not patient.in_care,
        "message": PHONE_MESSAGES.get(CareStatus(patient.care_status), ""),
    }
