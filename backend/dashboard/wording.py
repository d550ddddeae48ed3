"""How the dashboard words things: names of drugs, alert kinds, outcomes and readings, lab values and
durations. It reads nothing and imports no other dashboard module: the reads word what they judge
with it (holds.py, a hold's reasons), the presenters, forms and template filters what they show."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from backend.alerts.readings import lab_value_text as canonical_lab_text
from backend.alerts.services import OUTCOMES
from backend.records.models import LabResult
from shared.analytes import ANALYTES
from shared.symptoms import SYMPTOMS

DRUG_LABELS = {
    "ixazomib": "Ixazomib",
    "lenalidomide": "Lenalidomide",
    "dexamethasone": "Dexamethasone",
    "antiviral": "Antiviral",
}
OUTCOME_LABELS = {
    "called_patient": "Called patient",
    "dose_held": "Dose held",
    "sent_to_ed": "Sent to ED",
    "no_action_needed": "No action needed",
    "other": "Other (see note)",
}
assert set(OUTCOME_LABELS) == set(OUTCOMES), "every outcome the service accepts needs a label"
KIND_LABELS = {
    "febrile_neutropenia": "Febrile neutropenia",
    "review_needed": "Needs review",
    "creatinine_increased": "Creatinine increased",
    "peripheral_neuropathy": "Peripheral neuropathy",
    "stale_labs": "Blood count overdue",
    "early_warning": "Early warning",
    "cycle_labs_missing": "Labs missing before day 1",
}


def drug_label(drug: str) -> str:
    return DRUG_LABELS.get(drug, drug.capitalize())


def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, kind.replace("_", " ").capitalize())


def outcome_label(outcome: str) -> str:
    return OUTCOME_LABELS.get(outcome, outcome.replace("_", " ").capitalize())


def duration(delta: timedelta) -> str:
    """'45 min', '2 h 05 min', '3 d 4 h': the same words dashboard.js writes as time passes."""
    minutes = max(0, int(abs(delta).total_seconds() // 60))
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes:02d} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h"


def minutes_text(minutes: int) -> str:
    """A setting in minutes as people say it: '15 min', '2 h', '1 h 30 min'."""
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h" if not rest else f"{hours} h {rest} min"


def number(value: Decimal | float) -> str:
    text = format(Decimal(str(value)).normalize(), "f")
    return text


def lab_value_text(lab: LabResult) -> str:
    """The value as the lab reported it, e.g. '120 g/L'."""
    analyte = ANALYTES.get(lab.analyte)
    unit = analyte.unit(lab.unit) if analyte else None
    return f"{number(lab.value)} {unit.display if unit else lab.unit}"


def lab_reading_text(lab: LabResult) -> str:
    """'Platelets 22 ×10⁹/L': the one unit style of the queue, the patient page and the API (the
    analyte's canonical unit, backend.alerts.readings), with what the lab printed when it differs."""
    text = canonical_lab_text(lab.analyte, lab.canonical_value, lab.unit)
    analyte = ANALYTES.get(lab.analyte)
    unit = analyte.unit(lab.unit) if analyte else None
    return text if unit is not None and unit.per_canonical == 1 else f"{text} (reported {lab_value_text(lab)})"


def analyte_name(key: str) -> str:
    analyte = ANALYTES.get(key)
    return analyte.name if analyte else key.upper()


def symptom_name(key: str) -> str:
    """The CTCAE term nurses chart with (the phone shows the patient's plain name)."""
    symptom = SYMPTOMS.get(key)
    return symptom.ctcae_term if symptom else key.replace("_", " ").capitalize()
