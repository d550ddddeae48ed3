"""Dashboard writes that no other app offers yet: a clinic admin's settings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from backend.accounts.models import Clinic, User
from backend.audit.services import audit_record
from backend.core.errors import ApplicationError

SETTINGS_FIELDS = (
    "phone",
    "alert_policy",
    "escalation_critical_minutes",
    "escalation_urgent_minutes",
    "antiviral_drug",
    "antiviral_times",
    "on_call_name",
    "on_call_phone",
    "on_call_email",
)


@dataclass(frozen=True)
class ClinicSettings:
    phone: str
    alert_policy: dict[str, Any]  # stricter-only overrides (shared.alert_policy.with_overrides)
    escalation_critical_minutes: int
    escalation_urgent_minutes: int
    antiviral_drug: str
    antiviral_times: list[str]
    on_call_name: str
    on_call_phone: str
    on_call_email: str


@transaction.atomic
def clinic_settings_update(*, clinic: Clinic, actor: User, settings: ClinicSettings) -> Clinic:
    """Save an admin's clinic settings; Clinic.clean() refuses any policy that would alert later than
    the label's defaults. The audit trail records which settings changed."""
    clinic = Clinic.objects.select_for_update().get(pk=clinic.pk)
    changed = [name for name in SETTINGS_FIELDS if getattr(clinic, name) != getattr(settings, name)]
    for name in changed:
        setattr(clinic, name, getattr(settings, name))
    try:
        clinic.full_clean()
    except ValidationError as exc:
        raise ApplicationError({k: [str(m) for m in v] for k, v in exc.message_dict.items()}) from exc
    if changed:
        clinic.save(update_fields=changed)
        audit_record(
            actor=actor,
            action="update",
            resource="clinic",
            patient_ids=[None],
            object_id=str(clinic.pk),
            detail="settings: " + ", ".join(changed),
        )
    return clinic
