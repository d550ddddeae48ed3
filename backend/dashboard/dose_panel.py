"""The patient page's dose panel: the dose history, the label's suggestion for the end of a hold,
the nurse's decision form (patients.dose_decisions), the kidney-function warning
(shared.organ_function) and the relative dose intensity per drug and cycle beside adherence
(shared.dose_intensity)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django import forms
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from backend.alerts.models import Alert
from backend.dashboard.patient_page import PatientRecord
from backend.dashboard.wording import DRUG_LABELS
from backend.patients import dose_decisions
from backend.patients.models import DoseDecision, Patient
from shared import regimen
from shared.dose_intensity import CycleIntensity, cycle_intensity
from shared.dose_modification import Suggestion, Toxicity, suggest_after_hold
from shared.organ_function import RenalWarning, cockcroft_gault, renal_dose_warnings

_DRUG_CHOICES = [
    ("", gettext_lazy("Whole regimen")),
    *((d, DRUG_LABELS.get(d, d.capitalize())) for d in dose_decisions.DOSE_FIELDS),
]
TOXICITY_LABELS = {
    Toxicity.THROMBOCYTOPENIA: gettext_lazy("Thrombocytopenia"),
    Toxicity.NEUTROPENIA: gettext_lazy("Neutropenia"),
    Toxicity.RASH: gettext_lazy("Rash"),
    Toxicity.NEUROPATHY: gettext_lazy("Neuropathy"),
    Toxicity.OTHER: gettext_lazy("Other"),
}
_TOXICITY_CHOICES = [("", "—"), *((t.value, TOXICITY_LABELS.get(t, t.value.capitalize())) for t in Toxicity)]


class DoseDecisionForm(forms.Form):
    action = forms.ChoiceField(choices=DoseDecision.Action.choices, label=gettext_lazy("Decision"))
    drug = forms.ChoiceField(choices=_DRUG_CHOICES, required=False, label=gettext_lazy("Drug"))
    toxicity = forms.ChoiceField(choices=_TOXICITY_CHOICES, required=False, label=gettext_lazy("Cause of the hold"))
    grade = forms.IntegerField(min_value=0, max_value=4, required=False, label=gettext_lazy("Grade"))
    delay_days = forms.IntegerField(
        min_value=1, max_value=dose_decisions.MAX_DELAY_DAYS, required=False, label=gettext_lazy("Delay (days)")
    )
    reason = forms.CharField(
        max_length=500, required=False, label=gettext_lazy("Why"), widget=forms.Textarea(attrs={"rows": 2})
    )
    subject = forms.CharField(max_length=80, required=False, widget=forms.HiddenInput)
    suggested = forms.CharField(max_length=300, required=False, widget=forms.HiddenInput)
    seen = forms.IntegerField(min_value=0, required=False, widget=forms.HiddenInput)

    def add_service_errors(self, errors: Mapping[str, list[str]]) -> None:
        for key, found in errors.items():
            self.add_error(key if key in self.fields else None, " ".join(found))


_PREGNANCY_CHOICES = [("", gettext_lazy("Not recorded")), ("yes", gettext_lazy("Yes")), ("no", gettext_lazy("No"))]


class ClinicalProfileForm(forms.Form):
    """Optional values the organ-function and REMS rules use (patients.clinical_profile)."""

    birth_year = forms.IntegerField(
        required=False, label=gettext_lazy("Birth year"), help_text=gettext_lazy("For Cockcroft-Gault CrCl.")
    )
    weight_kg = forms.DecimalField(required=False, max_digits=5, decimal_places=1, label=gettext_lazy("Weight (kg)"))
    on_dialysis = forms.BooleanField(required=False, label=gettext_lazy("On dialysis"))
    can_become_pregnant = forms.ChoiceField(
        choices=_PREGNANCY_CHOICES,
        required=False,
        label=gettext_lazy("Can become pregnant"),
        help_text=gettext_lazy("Lenalidomide REMS: pregnancy tests and birth-control checks are reminded."),
    )

    def __init__(self, *args: Any, patient: Patient | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if patient is not None and patient.date_of_birth is not None:
            # One source of the age: the recorded date of birth gives the year (patient details).
            field = self.fields["birth_year"]
            field.disabled = True
            field.help_text = gettext_lazy("From the date of birth (Patient details).")
            self.initial["birth_year"] = patient.birth_year

    @staticmethod
    def initial_for(patient: Patient) -> dict[str, Any]:
        pregnant = {None: "", True: "yes", False: "no"}[patient.can_become_pregnant]
        return {
            "birth_year": patient.birth_year,
            "weight_kg": patient.weight_kg,
            "on_dialysis": patient.on_dialysis,
            "can_become_pregnant": pregnant,
        }

    def add_service_errors(self, errors: Mapping[str, list[str]]) -> None:
        for key, found in errors.items():
            self.add_error(key if key in self.fields else None, " ".join(found))


#: Alert kinds (shared.alert_policy) and the NINLARO table row each one's hold falls under.
_ALERT_TOXICITY = {
    "thrombocytopenia": Toxicity.THROMBOCYTOPENIA,
    "neutropenia": Toxicity.NEUTROPENIA,
    "rash": Toxicity.RASH,
    "peripheral_neuropathy": Toxicity.NEUROPATHY,
}


@dataclass(frozen=True)
class LatestHold:
    """The newest alert that held a drug, and what the table suggests once it has ended."""

    alert: Alert
    toxicity: Toxicity
    suggestion: Suggestion


@dataclass
class DosePanel:
    latest_hold: LatestHold | None
    history: list[DoseDecision]
    suggestions: list[tuple[str, Toxicity, Suggestion]]
    crcl: Decimal | None
    crcl_text: str
    renal_warnings: list[RenalWarning]
    intensity: list[tuple[str, list[CycleIntensity]]] = field(default_factory=list)


def dose_panel(record: PatientRecord) -> DosePanel:
    patient = record.patient
    history = record.decisions
    crcl, crcl_text = _crcl(patient, record)
    return DosePanel(
        latest_hold=_latest_hold(record, history),
        history=history,
        suggestions=dose_decisions.suggestions_for(patient, history),
        crcl=crcl,
        crcl_text=crcl_text,
        renal_warnings=renal_dose_warnings(
            crcl=crcl,
            ixazomib_mg=patient.ixazomib_mg,
            lenalidomide_mg=patient.lenalidomide_mg,
            dialysis=patient.on_dialysis,
        ),
        intensity=_intensity(patient, record, history),
    )


def _latest_hold(record: PatientRecord, history: list[DoseDecision]) -> LatestHold | None:
    """The page's newest alert that held a drug (record.alerts is newest first), with the table's
    suggestion for its row; None when none did or a reducible drug is stopped."""
    patient = record.patient
    if patient.ixazomib_mg == 0 or patient.lenalidomide_mg == 0:
        return None
    alert = next((a for a in record.alerts if a.hold_drugs and a.grade is not None), None)
    if alert is None:
        return None
    toxicity = _ALERT_TOXICITY.get(alert.kind, Toxicity.OTHER)
    try:
        suggestion = suggest_after_hold(
            toxicity=toxicity,
            grade=max(0, min(4, alert.grade or 0)),
            ixazomib_mg=patient.ixazomib_mg,
            lenalidomide_mg=patient.lenalidomide_mg,
            last_reduced=dose_decisions.last_reduced_for(history, toxicity),
        )
    except ValueError:  # a dose outside the ladder: the table says nothing about it
        return None
    return LatestHold(alert, toxicity, suggestion)


def _crcl(patient: Patient, record: PatientRecord) -> tuple[Decimal | None, str]:
    """Cockcroft-Gault from the latest creatinine of the page's window, the age (exact from the date
    of birth, else from the birth year: Patient.age_on), the weight and the sex; the text says what
    is missing when it cannot be computed."""
    creatinine = record.labs.get("creatinine", [])
    missing = [
        name
        for name, value in (
            (_("a creatinine"), creatinine),
            (_("the date of birth or birth year"), patient.age_on(record.today)),
            (_("the weight"), patient.weight_kg),
            (_("the sex"), patient.sex),
        )
        if not value
    ]
    if missing:
        return None, _("CrCl not computed: %(missing)s not recorded.") % {"missing": ", ".join(missing)}
    age = patient.age_on(record.today)
    assert age is not None and patient.weight_kg is not None
    latest = creatinine[-1]
    try:
        crcl = cockcroft_gault(
            age_years=age,
            weight_kg=patient.weight_kg,
            creatinine_mg_dl=latest.canonical_value,
            sex=patient.sex,
        )
    except ValueError as exc:
        return None, _("CrCl not computed: %(problem)s.") % {"problem": exc}
    when = latest.collected_at.astimezone(record.tz).date()
    return (
        crcl,
        _("CrCl %(crcl)s mL/min (Cockcroft-Gault, creatinine %(creatinine)s mg/dL of %(when)s).")
        % {"crcl": crcl, "creatinine": latest.canonical_value.normalize(), "when": formats.date_format(when, "d M")},
    )


def _intensity(
    patient: Patient, record: PatientRecord, history: Sequence[DoseDecision]
) -> list[tuple[str, list[CycleIntensity]]]:
    """RDI of ixazomib and lenalidomide in this cycle and the one before, from the dose logs of the
    page's window and the dose history; planned is the dose before the first decision."""
    position = regimen.cycle_day(record.calendar, record.today)
    if position is None:
        return []
    cycles = [c for c in (position.cycle, position.cycle - 1) if c >= 1]
    rows = []
    hist = list(history)
    for drug in (regimen.Drug.IXAZOMIB, regimen.Drug.LENALIDOMIDE):
        current = getattr(patient, f"{drug.value}_mg")
        own = [d for d in history if d.drug == drug.value and d.from_mg is not None]
        planned = own[0].from_mg if own and own[0].from_mg is not None else current
        taken: set[date] = {
            log.taken_at.astimezone(record.tz).date()
            for log in record.doses
            if log.drug == drug.value and log.status == "taken"
        }
        cells = [
            cycle_intensity(
                drug=drug,
                cycle=cycle,
                start_date=record.calendar,  # a delayed cycle starts later: its delay is not missed doses
                planned_mg=planned,
                dose_on=lambda day, d=drug.value, c=current: dose_decisions.dose_on(hist, d, c, day),
                taken_days=taken,
                until=record.today - timedelta(days=1),  # today's dose may still be ahead
            )
            for cycle in cycles
        ]
        rows.append((drug.value, cells))
    return rows


def context(
    record: PatientRecord, form: DoseDecisionForm | None = None, profile_form: ClinicalProfileForm | None = None
) -> dict[str, Any]:
    panel = dose_panel(record)
    initial: dict[str, Any] = {"seen": len(panel.history)}
    if panel.latest_hold is not None:
        hold = panel.latest_hold
        initial |= {
            "toxicity": hold.toxicity.value,
            "grade": hold.alert.grade,
            "subject": f"alert:{hold.alert.pk}",
            "suggested": hold.suggestion.text[:300],
        }
        if hold.suggestion.reduced is not None:
            initial |= {"action": DoseDecision.Action.REDUCE, "drug": hold.suggestion.reduced.value}
    return {
        "dose": panel,
        "dose_form": form or DoseDecisionForm(initial=initial),
        "profile_form": profile_form
        or ClinicalProfileForm(initial=ClinicalProfileForm.initial_for(record.patient), patient=record.patient),
    }
