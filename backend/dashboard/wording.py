"""How the dashboard words things: names of drugs, alert kinds, outcomes and readings, lab values and
durations. It reads nothing and imports no other dashboard module but clinical_terms: the reads word what they judge
with it (holds.py, a hold's reasons), the presenters, forms and template filters what they show."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.utils import formats
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from backend.alerts.readings import lab_value_text as canonical_lab_text
from backend.alerts.services import OUTCOMES
from backend.dashboard import clinical_terms
from backend.records.models import LabResult
from shared.analytes import ANALYTES
from shared.symptoms import SYMPTOMS

# Lazy: these are read at import time and shown in the reader's language (backend/locale).
DRUG_LABELS = {
    "ixazomib": gettext_lazy("Ixazomib"),
    "lenalidomide": gettext_lazy("Lenalidomide"),
    "dexamethasone": gettext_lazy("Dexamethasone"),
    "antiviral": gettext_lazy("Antiviral"),
}
OUTCOME_LABELS = {
    "called_patient": gettext_lazy("Called patient"),
    "dose_held": gettext_lazy("Dose held"),
    "sent_to_ed": gettext_lazy("Sent to ED"),
    "no_action_needed": gettext_lazy("No action needed"),
    "other": gettext_lazy("Other (see note)"),
}
assert set(OUTCOME_LABELS) == set(OUTCOMES), "every outcome the service accepts needs a label"
KIND_LABELS = {
    "febrile_neutropenia": gettext_lazy("Febrile neutropenia"),
    "review_needed": gettext_lazy("Needs review"),
    "creatinine_increased": gettext_lazy("Creatinine increased"),
    "peripheral_neuropathy": gettext_lazy("Peripheral neuropathy"),
    "stale_labs": gettext_lazy("Blood count overdue"),
    "early_warning": gettext_lazy("Early warning"),
    "cycle_labs_missing": gettext_lazy("Labs missing before day 1"),
    # The other kinds are the lab and symptom rules' own (shared.alert_policy).
    "fever": gettext_lazy("Fever"),
    "thrombocytopenia": gettext_lazy("Thrombocytopenia"),
    "neutropenia": gettext_lazy("Neutropenia"),
    "anemia": gettext_lazy("Anemia"),
    "leukopenia": gettext_lazy("Leukopenia"),
    "leukocytosis": gettext_lazy("Leukocytosis"),
    "hemoglobin_increased": gettext_lazy("Hemoglobin increased"),
    "hepatotoxicity": gettext_lazy("Hepatotoxicity"),
    "rash": gettext_lazy("Rash"),
    "diarrhea": gettext_lazy("Diarrhea"),
    "nausea": gettext_lazy("Nausea"),
    "vomiting": gettext_lazy("Vomiting"),
    "constipation": gettext_lazy("Constipation"),
    "edema": gettext_lazy("Edema"),
}


# The notifications app's codes (backend.notifications.models), as the deliveries page shows them.
CHANNEL_LABELS = {
    "email": gettext_lazy("Email"),
    "sms": gettext_lazy("SMS"),
    "push": gettext_lazy("Push"),
}
DELIVERY_STATUS_LABELS = {
    "pending": pgettext_lazy("delivery status", "Pending"),
    "claimed": pgettext_lazy("delivery status", "Claimed"),
    "sending": pgettext_lazy("delivery status", "Sending"),
    "sent": pgettext_lazy("delivery status", "Sent"),
    "failed": pgettext_lazy("delivery status", "Failed"),
    "cancelled": pgettext_lazy("delivery status", "Cancelled"),
    "unconfirmed": pgettext_lazy("delivery status", "Unconfirmed"),
}
# The response panel's answers for a qualitative marker (shared.markers' values, sent as they are).
MARKER_CHOICE_LABELS = {
    "positive": gettext_lazy("positive"),
    "negative": gettext_lazy("negative"),
    "present": gettext_lazy("present"),
    "absent": gettext_lazy("absent"),
    "yes": gettext_lazy("yes"),
    "no": gettext_lazy("no"),
}
# The audit trail's actions (backend.audit), as its page shows them.
AUDIT_ACTION_LABELS = {
    "read": pgettext_lazy("audit action", "read"),
    "write": pgettext_lazy("audit action", "write"),
    "create": pgettext_lazy("audit action", "create"),
    "update": pgettext_lazy("audit action", "update"),
    "delete": pgettext_lazy("audit action", "delete"),
    "acknowledge": pgettext_lazy("audit action", "acknowledge"),
    "resolve": pgettext_lazy("audit action", "resolve"),
    "revoke": pgettext_lazy("audit action", "revoke"),
    "enroll": pgettext_lazy("audit action", "enroll"),
    "sync": pgettext_lazy("audit action", "sync"),
    "refused": pgettext_lazy("audit action", "refused"),
}


def label_of(labels: Mapping[str, Promise], code: str) -> str:
    return str(labels.get(code, code))


def drug_label(drug: str) -> str:
    return str(DRUG_LABELS.get(drug, drug.capitalize()))


def kind_label(kind: str) -> str:
    return str(KIND_LABELS.get(kind, kind.replace("_", " ").capitalize()))


def outcome_label(outcome: str) -> str:
    return str(OUTCOME_LABELS.get(outcome, outcome.replace("_", " ").capitalize()))


def day_month(day: date | datetime) -> str:
    """'22 Nov' ('22 Nov' too in Spanish, with the month's Spanish abbreviation)."""
    return formats.date_format(day, "j M")


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
    text = translated_reading(canonical_lab_text(lab.analyte, lab.canonical_value, lab.unit))
    analyte = ANALYTES.get(lab.analyte)
    unit = analyte.unit(lab.unit) if analyte else None
    if unit is not None and unit.per_canonical == 1:
        return text
    return _("%(value)s (reported %(as_reported)s)") % {"value": text, "as_reported": lab_value_text(lab)}


def translated_reading(text: str) -> str:
    """A reading worded by the alerts app ('Platelets 22 ×10⁹/L', 'Nausea grade 2', 'Temperature
    38.4 °C') with its name in the reader's language; the value and unit as they are."""
    for english in (*(a.name for a in ANALYTES.values()), *(s.ctcae_term for s in SYMPTOMS.values())):
        if text.startswith(english + " "):
            name = clinical_terms.analyte_name(english) if english in clinical_terms.ANALYTE_NAMES else None
            name = name or clinical_terms.ctcae_term(english)
            rest = text[len(english) :]
            if rest.startswith(" grade "):
                rest = " " + _("grade %(grade)s") % {"grade": rest[len(" grade ") :]}
            return name + rest
    if text.startswith("Temperature "):
        return _("Temperature %(value)s") % {"value": text[len("Temperature ") :]}
    return text


def analyte_name(key: str) -> str:

    analyte = ANALYTES.get(key)
    return clinical_terms.analyte_name(analyte.name) if analyte else key.upper()


def symptom_name(key: str) -> str:
    """The CTCAE term nurses chart with (the phone shows the patient's plain name)."""
    symptom = SYMPTOMS.get(key)
    return clinical_terms.ctcae_term(symptom.ctcae_term) if symptom else key.replace("_", " ").capitalize()


def person_name(user: Any) -> str:
    """A staff member as the dashboard names them: full name, else username ("someone" if gone)."""
    if user is None:
        return _("someone")
    return str(user.get_full_name() or user.username)
