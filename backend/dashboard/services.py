"""Dashboard writes that no other app offers yet: a clinic admin's settings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy

from backend.accounts.models import STAFF_ROLES, Clinic, DeviceToken, User
from backend.accounts.second_factor import has_second_factor
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
    "require_second_factor",
)
SET_UP_YOURS_FIRST = gettext_lazy("Set up your own second factor (Security) before requiring one for the clinic.")


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
    require_second_factor: bool


@transaction.atomic
def clinic_settings_update(*, clinic: Clinic, actor: User, settings: ClinicSettings) -> Clinic:
    """Save an admin's clinic settings; Clinic.clean() refuses any policy that would alert later than
    the label's defaults. The audit trail records which settings changed."""
    clinic = Clinic.objects.select_for_update().get(pk=clinic.pk)
    changed = [name for name in SETTINGS_FIELDS if getattr(clinic, name) != getattr(settings, name)]
    for name in changed:
        setattr(clinic, name, getattr(settings, name))
    turned_on = "require_second_factor" in changed and settings.require_second_factor
    if turned_on and not has_second_factor(actor):
        raise ApplicationError({"require_second_factor": [str(SET_UP_YOURS_FIRST)]})
    try:
        clinic.full_clean()
    except ValidationError as exc:
        raise ApplicationError({k: [str(m) for m in v] for k, v in exc.message_dict.items()}) from exc
    if changed:
        clinic.save(update_fields=changed)
        detail = "settings: " + ", ".join(changed)
        if turned_on:
            # Tokens issued for a password alone end now; staff sign in again with their second factor.
            signed_out = DeviceToken.objects.filter(
                user__clinic=clinic, user__role__in=STAFF_ROLES, revoked_at__isnull=True
            ).update(revoked_at=timezone.now())
            detail += f" (second factor required; {signed_out} staff API tokens signed out)"
        audit_record(
            actor=actor,
            action="update",
            resource="clinic",
            patient_ids=[None],
            object_id=str(clinic.pk),
            detail=detail,
        )
    return clinic
