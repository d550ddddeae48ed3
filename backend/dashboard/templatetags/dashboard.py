"""Template filters and tags for the dashboard: words for codes, durations, severity badges."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from django import template
from django.dispatch import receiver
from django.template.loader import render_to_string
from django.utils import formats
from django.utils.autoreload import file_changed
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from backend.accounts.models import Role
from backend.dashboard import clinical_terms, wording

register = template.Library()

SEVERITY_TEXT = {"critical": gettext_lazy("Critical"), "urgent": gettext_lazy("Urgent")}


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
    if user is None:
        return _("someone")
    return user.get_full_name() or user.username


# The badges are rendered once per value and kept: the queue shows two a row, and rendering their
# templates each time (an inclusion tag) was a fifth of rendering the page. Severities, sizes and
# grades are a handful of values; the bound is for whatever else a caller passes.


@register.simple_tag
def severity_badge(severity: str, size: str = "") -> str:
    return _severity_badge(severity, size, get_language())


@register.simple_tag
def grade_badge(grade: int | None) -> str:
    return _grade_badge(grade, get_language())


# Kept per language too: the badge's words are the reader's.
@lru_cache(maxsize=64)
def _severity_badge(severity: str, size: str, language: str) -> str:
    text = SEVERITY_TEXT.get(severity, severity.capitalize())
    return render_to_string("dashboard/_severity.html", {"severity": severity, "text": text, "size": size})


@lru_cache(maxsize=64)
def _grade_badge(grade: int | None, language: str) -> str:
    return render_to_string("dashboard/_grade.html", {"grade": grade})


@receiver(file_changed, dispatch_uid="dashboard_badges_changed")
def _badges_changed(sender: object, file_path: Path, **kwargs: Any) -> None:
    """runserver: an edited template shows without a restart, as Django's own loaders do."""
    if file_path.suffix == ".html":
        _severity_badge.cache_clear()
        _grade_badge.cache_clear()
