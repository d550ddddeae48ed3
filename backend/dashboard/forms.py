"""Dashboard forms: they check what a person typed; the services decide what it means."""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from functools import cache
from typing import Any
from uuid import UUID
from zoneinfo import available_timezones

from django import forms
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.text import format_lazy
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from backend.accounts.models import Clinic
from backend.alerts.models import Severity
from backend.core.errors import ApplicationError
from backend.dashboard.audit_trail import AuditFilters
from backend.dashboard.clinical_terms import ANALYTE_NAMES, ctcae_term
from backend.dashboard.services import ClinicSettings
from backend.dashboard.triage_queue import ALERT_KINDS, QUEUE_VIEWS, STATUS_FILTERS, QueueFilters
from backend.dashboard.wording import (
    AUDIT_ACTION_LABELS,
    KIND_LABELS,
    OUTCOME_LABELS,
    analyte_name,
    kind_label,
    symptom_name,
)
from backend.patients.models import SEX_CHOICES
from backend.patients.services import timezone_validate
from shared import regimen
from shared.alert_policy import DEFAULT_POLICY, PolicyError, with_overrides
from shared.analytes import ANALYTES
from shared.lab_grading import ALL_CRITERIA, BASELINE_ANALYTES
from shared.search_text import DATE_FORMATS


@cache
def timezone_names() -> list[str]:
    """IANA zone names for the enrollment form's suggestions (read from disk once per process)."""
    return sorted(z for z in available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/")))


NOTE_REQUIRED = gettext_lazy("Write what you did or decided: it goes in the patient's record.")


class SignInForm(forms.Form):
    username = forms.CharField(max_length=150, widget=forms.TextInput(attrs={"autocomplete": "username"}))
    password = forms.CharField(
        strip=False, max_length=256, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )


class FixedChoicesSelect(forms.Select):
    """A <select> whose choices are fixed when its form class is defined, rendered once per name,
    value, attributes and language and kept. The queue's three filters (27 options, a template
    include each in Django's widget templates) cost as much as the rest of the page's template."""

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> SafeString:
        # The choices' values are in the key; their labels follow the language.
        choices = tuple(str(v) for v, _label in self.choices)
        key = (name, repr(value), tuple(sorted((attrs or {}).items())), choices, get_language(), renderer)
        html = _SELECTS.get(key)
        if html is None:
            html = super().render(name, value, attrs, renderer)
            if len(_SELECTS) >= SELECTS_KEPT:  # a value nobody offers (?severity=x) is kept too: bounded
                _SELECTS.clear()
            _SELECTS[key] = html
        return html


SELECTS_KEPT = 256
_SELECTS: dict[tuple[Any, ...], SafeString] = {}


class QueueFilterForm(forms.Form):
    status = forms.ChoiceField(choices=list(STATUS_FILTERS.items()), required=False, widget=FixedChoicesSelect)
    severity = forms.ChoiceField(
        widget=FixedChoicesSelect,
        choices=[
            ("", gettext_lazy("Any severity")),
            (Severity.CRITICAL, gettext_lazy("Critical")),
            (Severity.URGENT, gettext_lazy("Urgent")),
        ],
        required=False,
    )
    kind = forms.ChoiceField(
        widget=FixedChoicesSelect,
        choices=[
            ("", gettext_lazy("Any kind")),
            *sorted(((k, KIND_LABELS.get(k) or kind_label(k)) for k in ALERT_KINDS), key=lambda c: str(c[1])),
        ],
        required=False,
    )
    patient = forms.CharField(max_length=120, required=False, label=gettext_lazy("Patient name"))
    view = forms.ChoiceField(choices=[(v, v) for v in QUEUE_VIEWS], required=False)

    def filters(self) -> QueueFilters:
        """The filters asked for; a value that does not validate falls back to its default."""
        data = self.cleaned_data if self.is_valid() else {}
        return QueueFilters(
            status=data.get("status") or "unresolved",
            severity=data.get("severity") or "",
            kind=data.get("kind") or "",
            patient=data.get("patient") or "",
            view=data.get("view") or "all",
        )


# The actions the trail holds (backend.audit): "write" is a change its view did not name, "refused"
# a 403/404 answered to someone signed in.
AUDIT_ACTIONS = (
    "read",
    "write",
    "create",
    "update",
    "delete",
    "acknowledge",
    "resolve",
    "revoke",
    "enroll",
    "sync",
    "refused",
)
assert set(AUDIT_ACTION_LABELS) == set(AUDIT_ACTIONS), "every audit action the filter offers needs its words"


class AuditFilterForm(forms.Form):
    person = forms.CharField(max_length=150, required=False, label=gettext_lazy("Person"))
    patient = forms.ChoiceField(required=False, label=gettext_lazy("Patient"))
    action = forms.ChoiceField(
        choices=[("", gettext_lazy("Any action")), *((a, AUDIT_ACTION_LABELS[a]) for a in AUDIT_ACTIONS)],
        required=False,
    )

    since = forms.DateField(required=False, label=gettext_lazy("From"), widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, label=gettext_lazy("To"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, data: Any, *, patients: list[tuple[str, str]]) -> None:
        super().__init__(data)
        self.fields["patient"].choices = [("", _("Any patient")), *patients]  # type: ignore[attr-defined]

    def filters(self) -> AuditFilters:
        """The filters asked for; a value that does not validate is left out (the page still shows)."""
        self.is_valid()
        data = {name: value for name, value in self.cleaned_data.items() if name not in self.errors}
        return AuditFilters(
            person=(data.get("person") or "").strip(),
            patient_id=UUID(data["patient"]) if data.get("patient") else None,
            action=data.get("action") or "",
            since=data.get("since"),
            until=data.get("until"),
        )


class ResolveForm(forms.Form):
    outcome = forms.ChoiceField(choices=list(OUTCOME_LABELS.items()), widget=forms.RadioSelect)
    note = forms.CharField(
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": NOTE_REQUIRED},
    )
    # Made when the form is shown: the same form sent twice (a double click, a resend) adds one note.
    client_id = forms.UUIDField(required=False, widget=forms.HiddenInput)


def _level_choices(levels: tuple[Decimal, ...]) -> list[tuple[str, str]]:
    return [(format(level.normalize(), "f"), f"{format(level.normalize(), 'f')} mg") for level in levels]


def _timezone_field(label: str, help_text: str) -> forms.CharField:
    """A zone name typed with the page's `timezones` suggestions (dashboard/_timezones.html)."""
    return forms.CharField(
        max_length=64,
        label=label,
        help_text=help_text,
        widget=forms.TextInput(attrs={"list": "timezones", "autocomplete": "off", "spellcheck": "false"}),
    )


_SEX_CHOICES = [("", gettext_lazy("Not recorded")), *SEX_CHOICES]
SEX_HELP = gettext_lazy(
    "Picks the usual limits when a lab result has none (hemoglobin LLN, creatinine ULN). "
    "Not recorded: the stricter of the women's and men's apply."
)


class EnrollForm(forms.Form):
    display_name = forms.CharField(max_length=120, label=gettext_lazy("Name"))
    timezone = _timezone_field(
        gettext_lazy("Time zone"),
        gettext_lazy("Where the patient lives, e.g. America/New_York: reminders and cycle days follow it."),
    )
    phone = forms.CharField(
        max_length=40, required=False, label=gettext_lazy("Phone"), widget=forms.TextInput(attrs={"type": "tel"})
    )
    mrn = forms.CharField(max_length=40, required=False, label=gettext_lazy("MRN"))
    date_of_birth = forms.DateField(
        required=False,
        label=gettext_lazy("Date of birth"),
        input_formats=list(DATE_FORMATS),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    sex = forms.ChoiceField(
        choices=_SEX_CHOICES, required=False, label=gettext_lazy("Sex (optional)"), help_text=SEX_HELP
    )
    can_become_pregnant = forms.ChoiceField(
        choices=[("", gettext_lazy("Not recorded")), ("yes", gettext_lazy("Yes")), ("no", gettext_lazy("No"))],
        required=False,
        label=gettext_lazy("Can become pregnant (optional)"),
        help_text=gettext_lazy("Lenalidomide REMS: pregnancy tests and birth-control checks are reminded."),
    )
    start_date = forms.DateField(
        label=gettext_lazy("Cycle 1, day 1"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    ixazomib_mg = forms.TypedChoiceField(
        choices=_level_choices(regimen.IXAZOMIB_DOSE_LEVELS_MG),
        coerce=Decimal,
        label=gettext_lazy("Ixazomib"),
        initial="4",
    )
    lenalidomide_mg = forms.TypedChoiceField(
        choices=_level_choices(regimen.LENALIDOMIDE_DOSE_LEVELS_MG),
        coerce=Decimal,
        label=gettext_lazy("Lenalidomide"),
        initial="25",
    )
    dexamethasone_mg = forms.DecimalField(
        min_value=Decimal(4),
        max_value=Decimal(40),
        decimal_places=1,
        label=gettext_lazy("Dexamethasone (mg)"),
        initial=Decimal(40),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["start_date"].initial = timezone.localdate()

    def clean_timezone(self) -> str:
        name = self.cleaned_data["timezone"].strip()
        try:
            return timezone_validate(name)
        except ApplicationError as exc:
            raise forms.ValidationError(exc.errors.get("timezone", [_("Unknown time zone.")])) from exc

    # Service errors are keyed like the API's ("regimen.ixazomib_mg"); these are the form's names.
    SERVICE_FIELDS: Mapping[str, str] = {
        "timezone": "timezone",
        "mrn": "mrn",
        "date_of_birth": "date_of_birth",
        "regimen.ixazomib_mg": "ixazomib_mg",
        "regimen.lenalidomide_mg": "lenalidomide_mg",
        "regimen.dexamethasone_mg": "dexamethasone_mg",
    }

    def add_service_errors(self, errors: Mapping[str, list[str]]) -> None:
        for key, messages in errors.items():
            for message in messages:
                self.add_error(self.SERVICE_FIELDS.get(key), message)


class PatientSexForm(forms.Form):
    sex = forms.ChoiceField(
        choices=_SEX_CHOICES, required=False, label=gettext_lazy("Sex (for reference limits)"), help_text=SEX_HELP
    )


def _baseline_units() -> list[tuple[str, str]]:
    seen: dict[str, str] = {}
    for key in BASELINE_ANALYTES:
        for unit in ANALYTES[key].units:
            seen.setdefault(unit.key, unit.display)
    return list(seen.items())


class BaselineForm(forms.Form):
    """A baseline the care team enters for one analyte; records.baselines.baseline_enter checks it
    with the rules any reading meets (unit for the analyte, plausible value)."""

    analyte = forms.ChoiceField(
        choices=[(k, ANALYTE_NAMES.get(ANALYTES[k].name, ANALYTES[k].name)) for k in BASELINE_ANALYTES],
        label=gettext_lazy("Test"),
    )
    value = forms.DecimalField(max_digits=18, decimal_places=6, label=gettext_lazy("Baseline value"))
    unit = forms.ChoiceField(choices=_baseline_units(), label=gettext_lazy("Unit"))
    reference_high = forms.DecimalField(
        max_digits=18,
        decimal_places=6,
        required=False,
        label=gettext_lazy("ULN printed with it"),
        help_text=gettext_lazy("Optional."),
    )
    collected_on = forms.DateField(
        required=False,
        label=gettext_lazy("Collected on"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def add_service_errors(self, errors: Mapping[str, list[str]]) -> None:
        for key, messages in errors.items():
            self.add_error(key if key in self.fields else None, " ".join(messages))


class PatientTimezoneForm(forms.Form):
    """Another zone for a patient who moved or travels; patients.services.patient_timezone_change
    decides whether the name is a zone."""

    timezone = _timezone_field(
        gettext_lazy("New time zone"),
        gettext_lazy("Where the patient is now, e.g. Europe/Berlin: their reminders keep their local times."),
    )

    def add_service_errors(self, errors: Mapping[str, list[str]]) -> None:
        for key, messages in errors.items():
            self.add_error("timezone" if key == "timezone" else None, " ".join(messages))


_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def _grade_choices(default: int) -> list[tuple[str, str]]:
    # Built per form (in the reader's language), not at import.
    return [
        (
            str(g),
            (_("Grade %(grade)s or worse (label default)") if g == default else _("Grade %(grade)s or worse"))
            % {"grade": g},
        )
        for g in range(default, 0, -1)
    ]


class ClinicSettingsForm(forms.Form):
    """A clinic's stricter alert policy, escalation targets, antiviral default and on-call contact.

    The policy fields offer only grades at or below the label's default, and the result goes
    through shared.alert_policy.with_overrides, which refuses anything looser."""

    phone = forms.CharField(max_length=40, required=False, label=gettext_lazy("Clinic phone (shown to patients)"))
    fever_threshold_c = forms.DecimalField(
        min_value=Decimal("37.0"),
        max_value=DEFAULT_POLICY.fever.threshold_c,
        decimal_places=1,
        label=gettext_lazy("Fever alert at (°C)"),
        help_text=format_lazy(
            gettext_lazy("{threshold} °C by default; you can only lower it."),
            threshold=DEFAULT_POLICY.fever.threshold_c,
        ),
        widget=forms.NumberInput(attrs={"step": "0.1"}),
    )
    fever_nadir_no_anc_critical = forms.BooleanField(
        required=False,
        label=gettext_lazy("Critical: fever on days 14-21 with no ANC in the 7 days before"),
        help_text=gettext_lazy(
            "Off by default (urgent). On: CareLoop treats it as febrile neutropenia until an ANC is done, "
            "and pages as for a critical alert."
        ),
    )
    escalation_critical_minutes = forms.IntegerField(
        min_value=1, max_value=24 * 60, label=gettext_lazy("Critical alerts (minutes)")
    )
    escalation_urgent_minutes = forms.IntegerField(
        min_value=1, max_value=7 * 24 * 60, label=gettext_lazy("Urgent alerts (minutes)")
    )
    antiviral_drug = forms.CharField(max_length=60, label=gettext_lazy("Antiviral prophylaxis"))
    antiviral_times = forms.CharField(
        max_length=60,
        required=False,
        label=gettext_lazy("Taken at"),
        help_text=gettext_lazy("Local times, comma-separated, e.g. 08:00, 20:00."),
    )
    on_call_name = forms.CharField(max_length=120, required=False, label=gettext_lazy("Name"))
    on_call_phone = forms.CharField(max_length=40, required=False, label=gettext_lazy("Phone"))
    on_call_email = forms.EmailField(required=False, label=gettext_lazy("Email"))
    require_second_factor = forms.BooleanField(
        required=False,
        label=gettext_lazy("Require a second factor for every nurse and admin"),
        help_text=gettext_lazy(
            "An authenticator app or a passkey after the password. Staff without one set it up at their next "
            "sign-in; their API tokens are signed out when this is turned on."
        ),
    )

    LAB_PREFIX = "lab_"
    SYMPTOM_PREFIX = "symptom_"

    def __init__(self, *args: Any, clinic: Clinic, **kwargs: Any) -> None:
        overrides = clinic.alert_policy if isinstance(clinic.alert_policy, dict) else {}
        kwargs.setdefault("initial", self.initial_for(clinic, overrides))
        super().__init__(*args, **kwargs)
        for key, rule in DEFAULT_POLICY.labs.items():
            self.fields[self.LAB_PREFIX + key] = forms.TypedChoiceField(
                choices=_grade_choices(rule.alert.min_grade),
                coerce=int,
                label=analyte_name(key) if key in ANALYTES else ctcae_term(ALL_CRITERIA[key].term),
            )
        for key, srule in DEFAULT_POLICY.symptoms.items():
            self.fields[self.SYMPTOM_PREFIX + key] = forms.TypedChoiceField(
                choices=_grade_choices(srule.alert.min_grade), coerce=int, label=symptom_name(key)
            )

    @classmethod
    def initial_for(cls, clinic: Clinic, overrides: Mapping[str, Any]) -> dict[str, Any]:
        initial: dict[str, Any] = {
            name: getattr(clinic, name)
            for name in (
                "phone",
                "escalation_critical_minutes",
                "escalation_urgent_minutes",
                "antiviral_drug",
                "on_call_name",
                "on_call_phone",
                "on_call_email",
                "require_second_factor",
            )
        }
        times = clinic.antiviral_times if isinstance(clinic.antiviral_times, list) else []
        initial["antiviral_times"] = ", ".join(str(t) for t in times)
        fever = overrides.get("fever") or {}
        initial["fever_threshold_c"] = fever.get("threshold_c", DEFAULT_POLICY.fever.threshold_c)
        initial["fever_nadir_no_anc_critical"] = fever.get(
            "nadir_no_anc_critical", DEFAULT_POLICY.fever.nadir_no_anc_critical
        )
        for section, prefix, rules in (
            ("labs", cls.LAB_PREFIX, DEFAULT_POLICY.labs),
            ("symptoms", cls.SYMPTOM_PREFIX, DEFAULT_POLICY.symptoms),
        ):
            chosen = overrides.get(section) or {}
            for key, rule in rules.items():
                initial[prefix + key] = (chosen.get(key) or {}).get("min_grade", rule.alert.min_grade)
        return initial

    def lab_fields(self) -> list[forms.BoundField]:
        return [self[self.LAB_PREFIX + key] for key in DEFAULT_POLICY.labs]

    def symptom_fields(self) -> list[forms.BoundField]:
        return [self[self.SYMPTOM_PREFIX + key] for key in DEFAULT_POLICY.symptoms]

    def clean_antiviral_times(self) -> list[str]:
        raw = self.cleaned_data.get("antiviral_times") or ""
        times = [t.strip() for t in raw.split(",") if t.strip()]
        bad = [t for t in times if not _TIME.match(t)]
        if bad:
            raise forms.ValidationError(
                _("Use 24-hour HH:MM times, e.g. 08:00, 20:00 (not %(bad)s).") % {"bad": ", ".join(bad)}
            )
        return sorted(set(times))

    def policy_overrides(self) -> dict[str, Any]:
        """Only what differs from the label's defaults, in with_overrides' format."""
        data = self.cleaned_data
        overrides: dict[str, Any] = {}
        for section, prefix, rules in (
            ("labs", self.LAB_PREFIX, DEFAULT_POLICY.labs),
            ("symptoms", self.SYMPTOM_PREFIX, DEFAULT_POLICY.symptoms),
        ):
            changed = {
                key: {"min_grade": data[prefix + key]}
                for key, rule in rules.items()
                if data.get(prefix + key) is not None and data[prefix + key] != rule.alert.min_grade
            }
            if changed:
                overrides[section] = changed
        fever: dict[str, Any] = {}
        threshold = data.get("fever_threshold_c")
        if threshold is not None and threshold != DEFAULT_POLICY.fever.threshold_c:
            fever["threshold_c"] = float(threshold)
        if data.get("fever_nadir_no_anc_critical", False) != DEFAULT_POLICY.fever.nadir_no_anc_critical:
            fever["nadir_no_anc_critical"] = bool(data.get("fever_nadir_no_anc_critical"))
        if fever:
            overrides["fever"] = fever
        return overrides

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        critical, urgent = data.get("escalation_critical_minutes"), data.get("escalation_urgent_minutes")
        if critical and urgent and critical > urgent:
            self.add_error("escalation_critical_minutes", _("Critical alerts must escalate no later than urgent ones."))
        if not self.errors:
            try:
                with_overrides(DEFAULT_POLICY, self.policy_overrides())
            except PolicyError as exc:
                raise forms.ValidationError(_("Alert policy: %(problem)s") % {"problem": exc}) from exc
        return data

    def settings(self) -> ClinicSettings:
        data = self.cleaned_data
        return ClinicSettings(
            phone=data["phone"],
            alert_policy=self.policy_overrides(),
            escalation_critical_minutes=data["escalation_critical_minutes"],
            escalation_urgent_minutes=data["escalation_urgent_minutes"],
            antiviral_drug=data["antiviral_drug"],
            antiviral_times=data["antiviral_times"],
            on_call_name=data["on_call_name"],
            on_call_phone=data["on_call_phone"],
            on_call_email=data["on_call_email"],
            require_second_factor=bool(data.get("require_second_factor")),
        )
