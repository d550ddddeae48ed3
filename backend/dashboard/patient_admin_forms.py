"""The patient administration forms (backend.dashboard.patient_admin_views): the patient's details,
their care status, their reminder plan, and the patients list's search. The forms only read what
was typed; the services check it (patients.details, patients.care_status, reminders' plan update)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from backend.dashboard.forms import SEX_HELP
from backend.patients.models import SEX_CHOICES, CareStatus, Patient
from shared import reminders as shared_reminders
from shared.search_text import DATE_FORMATS

#: What a date of birth may be typed as: 1956-03-14 (the date picker's) or 03/14/1956.
DATE_INPUTS = list(DATE_FORMATS)


class _ServiceErrors:
    #: The ids of the form's fields ("details_%s"): the patient page holds other forms whose fields
    #: share these names (the dose decision's reason, the lab reference's sex, the profile's weight).
    id_pattern = "id_%s"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", self.id_pattern)
        super().__init__(*args, **kwargs)

    def add_service_errors(self, errors: Mapping[str, list[str]]) -> None:
        form: forms.Form = self  # type: ignore[assignment]
        for key, found in errors.items():
            form.add_error(key if key in form.fields else None, " ".join(str(m) for m in found))


class PatientDetailsForm(_ServiceErrors, forms.Form):
    id_pattern = "details_%s"
    display_name = forms.CharField(max_length=120, label=_("Name"))
    mrn = forms.CharField(
        max_length=40, required=False, label=_("MRN"), help_text=_("The clinic's medical record number.")
    )
    date_of_birth = forms.DateField(
        required=False,
        label=_("Date of birth"),
        input_formats=DATE_INPUTS,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("An adult's. Gives the age for the kidney-function (CrCl) estimate."),
    )
    sex = forms.ChoiceField(
        choices=[("", _("Not recorded")), *SEX_CHOICES], required=False, label=_("Sex"), help_text=SEX_HELP
    )
    weight_kg = forms.DecimalField(
        required=False, max_digits=5, decimal_places=1, label=_("Weight (kg)"), help_text=_("For CrCl.")
    )

    @staticmethod
    def initial_for(patient: Patient) -> dict[str, Any]:
        return {
            "display_name": patient.display_name,
            "mrn": patient.mrn,
            "date_of_birth": patient.date_of_birth,
            "sex": patient.sex,
            "weight_kg": patient.weight_kg,
        }


class CareStatusForm(_ServiceErrors, forms.Form):
    id_pattern = "care_%s"
    status = forms.ChoiceField(choices=CareStatus.choices, label=_("Status"))
    reason = forms.CharField(
        max_length=300,
        required=False,
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required to pause or discharge. Kept on the patient's record, not in the audit trail."),
    )


_TIME_WIDGET = forms.TextInput(attrs={"type": "time"})


class ReminderPlanForm(_ServiceErrors, forms.Form):
    """Times as typed (HH:MM); reminders.materialise.reminder_plan_update checks them with the API's
    rules (reminders.plans.plan_changes_parse and shared.reminders.ReminderPlan)."""

    id_pattern = "plan_%s"

    antiviral_drug = forms.CharField(max_length=60, required=False, label=_("Antiviral drug"))
    antiviral_times = forms.CharField(
        max_length=60,
        required=False,
        label=_("Antiviral times"),
        help_text=_("Comma-separated, e.g. 08:00, 20:00."),
    )
    ixazomib_time = forms.CharField(max_length=8, label=_("Ixazomib"), widget=_TIME_WIDGET)
    lenalidomide_time = forms.CharField(max_length=8, label=_("Lenalidomide"), widget=_TIME_WIDGET)
    dexamethasone_time = forms.CharField(max_length=8, label=_("Dexamethasone"), widget=_TIME_WIDGET)
    lab_draw_time = forms.CharField(max_length=8, label=_("Blood draw"), widget=_TIME_WIDGET)
    nadir_draw_cycles = forms.IntegerField(
        label=_("Day-14 blood draws in the first cycles"),
        help_text=_("How many first cycles get a day-14 draw; 0 for none."),
    )

    @staticmethod
    def initial_for(values: shared_reminders.ReminderPlan) -> dict[str, Any]:
        return {
            "antiviral_drug": values.antiviral_drug,
            "antiviral_times": ", ".join(shared_reminders.format_wall_time(t) for t in values.antiviral_times),
            "ixazomib_time": shared_reminders.format_wall_time(values.ixazomib_time),
            "lenalidomide_time": shared_reminders.format_wall_time(values.lenalidomide_time),
            "dexamethasone_time": shared_reminders.format_wall_time(values.dexamethasone_time),
            "lab_draw_time": shared_reminders.format_wall_time(values.lab_draw_time),
            "nadir_draw_cycles": values.nadir_draw_cycles,
        }

    def changes(self) -> dict[str, Any]:
        """The plan fields as the API's plan update takes them."""
        data = dict(self.cleaned_data)
        data["antiviral_times"] = [t for t in re.split(r"[,\s]+", data["antiviral_times"]) if t]
        return data


class PatientSearchForm(forms.Form):
    q = forms.CharField(
        max_length=120,
        required=False,
        label=_("Name, MRN or date of birth"),
        help_text=_("A date as 1956-03-14 or 03/14/1956."),
    )
