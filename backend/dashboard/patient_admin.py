"""What the patient page shows of the patient's administration: the details, care status and
reminder plan forms (filled in from the record, or as the nurse sent them when refused)."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.utils import timezone

from backend.dashboard.patient_admin_forms import CareStatusForm, PatientDetailsForm, ReminderPlanForm
from backend.patients.models import CareStatus, Patient
from backend.reminders.models import ReminderPlan
from backend.reminders.selectors import clinic_default_plan


def plan_of(patient: Patient) -> ReminderPlan | None:
    """The stored plan, if any (a page view writes nothing: the plan is made on its first change)."""
    return ReminderPlan.objects.filter(pk=patient.pk).first()


def context(patient: Patient, bound: dict[str, forms.Form] | None = None) -> dict[str, Any]:
    """The page's `details_form`, `status_form` and `plan_form`; `bound` replaces any of them with
    the form as sent (its errors shown, its <details> open)."""
    bound = bound or {}
    plan = plan_of(patient)
    values = plan.to_shared() if plan is not None else clinic_default_plan(patient.clinic)
    next_status = CareStatus.ACTIVE if not patient.in_care else CareStatus.PAUSED
    return {
        "details_form": bound.get("details_form")
        or PatientDetailsForm(initial=PatientDetailsForm.initial_for(patient)),
        "status_form": bound.get("status_form") or CareStatusForm(initial={"status": next_status}),
        "plan_form": bound.get("plan_form") or ReminderPlanForm(initial=ReminderPlanForm.initial_for(values)),
        "plan_values": values,
        "age": patient.age_on(timezone.now().astimezone(ZoneInfo(patient.timezone)).date()),
    }
