"""The alert's panel (the resolve dialog, and its page without JavaScript) beyond resolving: who has
it, its thread of notes and decisions, and the forms to assign it, add a note and record a dose
decision; and the patient page's bulk resolve form. Reads only: the views are in alert_views."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from django import forms
from django.utils.translation import gettext_lazy as _

from backend.accounts.models import User
from backend.alerts.assignment import assignable_staff
from backend.alerts.decisions import ThreadEntry, alert_subject, alert_thread
from backend.alerts.models import Alert
from backend.alerts.services import NOTE_MAX
from backend.core.errors import ApplicationError
from backend.dashboard.clinical_terms import alert_title
from backend.dashboard.forms import NOTE_REQUIRED, OUTCOME_LABELS
from backend.dashboard.patient_page import PatientRecord
from backend.dashboard.wording import DRUG_LABELS
from backend.patients import dose_decisions
from backend.patients.models import DoseDecision

_DRUG_CHOICES = [
    ("", _("Whole regimen")),
    *((d, DRUG_LABELS.get(d, d.capitalize())) for d in dose_decisions.DOSE_FIELDS),
]


class AssignForm(forms.Form):
    """`assignee`: "me", a staff user's id, or "none" (nobody). `was`: the assignee's id the nurse
    saw ("" for nobody), so that a colleague's assignment in between is not overwritten."""

    assignee = forms.CharField(max_length=20)
    was = forms.CharField(max_length=20, required=False)

    def assignee_id(self, me: User) -> int | None:
        value = self.cleaned_data["assignee"]
        if value == "me":
            return me.pk
        if value == "none":
            return None
        try:
            return int(value)
        except ValueError:
            raise ApplicationError({"assignee": [str(_("Choose a nurse."))]}) from None

    def was_id(self) -> int | None:
        value = self.cleaned_data.get("was") or ""
        return int(value) if value.isdigit() else None


class NoteForm(forms.Form):
    prefix = "thread"  # beside the resolve form's own note in the dialog
    note = forms.CharField(
        max_length=NOTE_MAX,
        label=_("Your note"),
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Write the note.")},
    )
    # Made when the form is shown: the same form sent twice adds one note.
    client_id = forms.UUIDField(required=False, widget=forms.HiddenInput)


class AlertDecisionForm(forms.Form):
    """A dose decision taken from an alert (backend.alerts.decisions), through the dose panel's service."""

    prefix = "decision"  # the dialog opens over the patient page, whose dose panel has the same fields

    action = forms.ChoiceField(choices=DoseDecision.Action.choices, label=_("Decision"))
    drug = forms.ChoiceField(choices=_DRUG_CHOICES, required=False, label=_("Drug"))
    delay_days = forms.IntegerField(
        min_value=1, max_value=dose_decisions.MAX_DELAY_DAYS, required=False, label=_("Delay (days)")
    )
    reason = forms.CharField(
        max_length=500,
        label=_("Why"),
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Say why.")},
    )
    seen = forms.IntegerField(min_value=0, required=False, widget=forms.HiddenInput)

    def add_service_errors(self, errors: dict[str, list[str]]) -> None:
        for key, found in errors.items():
            self.add_error(key if key in self.fields else None, " ".join(found))


class BulkResolveForm(forms.Form):
    """Several of one patient's alerts resolved with one outcome and note (the patient page)."""

    prefix = "bulk"

    alerts = forms.MultipleChoiceField(error_messages={"required": _("Tick the alerts to resolve.")})
    outcome = forms.ChoiceField(choices=list(OUTCOME_LABELS.items()), widget=forms.RadioSelect, label=_("Outcome"))
    note = forms.CharField(
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": NOTE_REQUIRED},
        label=_("Note"),
    )
    client_id = forms.UUIDField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, alerts: list[Alert], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["alerts"].choices = [(str(a.pk), alert_title(a.title)) for a in alerts]


def decision_seen(alert: Alert) -> int:
    """How many decisions the patient has: the decision form's `seen` (one query)."""
    return DoseDecision.objects.filter(patient_id=alert.patient_id).count()


def panel_context(
    alert: Alert,
    *,
    note_form: NoteForm | None = None,
    decision_form: AlertDecisionForm | None = None,
    said: str = "",
    said_level: str = "success",
) -> dict[str, Any]:
    """What the alert's panel shows besides the resolve form, in four queries."""
    return {
        "thread": alert_thread(alert),
        "staff": list(assignable_staff(alert.patient.clinic_id)),
        "note_form": note_form or NoteForm(initial={"client_id": uuid4()}),
        "decision_form": decision_form or AlertDecisionForm(initial={"seen": decision_seen(alert)}),
        "said": said,
        "said_level": said_level,
    }


def patient_alerts_context(record: PatientRecord) -> dict[str, Any]:
    """The patient page's open alerts, each with its thread (notes prefetched with the alerts, and
    the decisions taken on it, from the page's dose history) and a note form's id; and the bulk
    resolve form over them. No query of its own."""
    by_alert: dict[str, list[DoseDecision]] = {}
    for decision in record.decisions:
        by_alert.setdefault(decision.subject, []).append(decision)
    cards = []
    for alert in record.unresolved_alerts:
        thread = [ThreadEntry(n.created_at, note=n) for n in alert.notes.all()]
        thread += [ThreadEntry(d.decided_at, decision=d) for d in by_alert.get(alert_subject(alert.pk), [])]
        cards.append((alert, sorted(thread, key=lambda e: e.at), uuid4()))
    return {
        "alert_cards": cards,
        "bulk_form": BulkResolveForm(alerts=record.unresolved_alerts, initial={"client_id": uuid4()}),
    }
