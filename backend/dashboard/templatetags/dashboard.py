"""Template filters and tags for the dashboard: words for codes, durations, severity badges."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django import template
from django.utils import formats

from backend.accounts.models import Role
from backend.dashboard import badges, clinical_terms, jinja, wording
from backend.dashboard.badges import SEVERITY_TEXT
from backend.dashboard.queue_rows_context import queue_rows_context

register = template.Library()


@register.filter
def duration(value: timedelta | None) -> str:
    return wording.duration(value) if value is not None else ""


@register.filter
def minutes(value: int) -> str:
    return wording.minutes_text(value)


@register.filter
def drug(value: str) -> str:
    return wording.drug_label(value)


@register.filter
def analyte(value: str) -> str:
    return wording.analyte_name(value)


@register.filter
def kind(value: str) -> str:
    return wording.kind_label(value)


@register.filter
def outcome(value: str) -> str:
    return wording.outcome_label(value)


@register.filter
def role(value: str) -> str:
    """A role's code ("nurse") as its label in the reader's language."""
    return str(dict(Role.choices).get(value, value))


@register.filter
def marker_choice(value: str) -> str:
    return wording.label_of(wording.MARKER_CHOICE_LABELS, value)


@register.filter
def audit_action(value: str) -> str:
    return wording.label_of(wording.AUDIT_ACTION_LABELS, value)


@register.filter
def delivery_status(value: str) -> str:
    return wording.label_of(wording.DELIVERY_STATUS_LABELS, value)


@register.filter
def channel(value: str) -> str:
    return wording.label_of(wording.CHANNEL_LABELS, value)


@register.filter
def severity(value: str) -> str:

    return str(SEVERITY_TEXT.get(value, value))


@register.filter
def alert_title(value: str) -> str:
    """An alert's stored English title in the reader's language (backend.dashboard.clinical_terms)."""
    return clinical_terms.alert_title(value)


@register.filter
def thousands(value: int) -> str:
    """10000 as '10,000' (in Spanish '10.000')."""
    return formats.number_format(value, force_grouping=True)


@register.filter
def iso(value: datetime | None) -> str:
    return value.isoformat() if value else ""


@register.filter
def isodate(value: str) -> date | None:
    """An ISO date string (as regimen_today gives them) as a date, for |date formatting."""
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        return None


@register.filter
def get_item(mapping: dict[Any, Any], key: Any) -> Any:
    return mapping.get(key)


@register.filter
def person(user: Any) -> str:
    return wording.person_name(user)


@register.simple_tag
def severity_badge(severity: str, size: str = "") -> str:
    return badges.severity_badge(severity, size)


@register.simple_tag
def grade_badge(grade: int | None) -> str:
    return badges.grade_badge(grade)


@register.simple_tag(takes_context=True)
def queue_rows(context: template.Context) -> str:
    """The queue table's rows, rendered by Jinja2 (backend.dashboard.queue_rows_context says why), with
    the page's CSRF token and reader."""
    rows = queue_rows_context(
        context["rows"], staff=context["staff"], user_id=context["user"].pk, csrf_token=context.get("csrf_token")
    )
    return jinja.render("dashboard/queue_rows.html", rows)
