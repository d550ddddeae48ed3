"""Template filters and tags for the dashboard: words for codes, durations, severity badges."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django import template

from backend.dashboard import presenters

register = template.Library()

SEVERITY_TEXT = {"critical": "Critical", "urgent": "Urgent"}


@register.filter
def duration(value: timedelta | None) -> str:
    return presenters.duration(value) if value is not None else ""


@register.filter
def minutes(value: int) -> str:
    return presenters.minutes_text(value)


@register.filter
def drug(value: str) -> str:
    return presenters.drug_label(value)


@register.filter
def kind(value: str) -> str:
    return presenters.kind_label(value)


@register.filter
def outcome(value: str) -> str:
    return presenters.outcome_label(value)


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
        return "someone"
    return user.get_full_name() or user.username


@register.inclusion_tag("dashboard/_severity.html")
def severity_badge(severity: str, size: str = "") -> dict[str, str]:
    return {"severity": severity, "text": SEVERITY_TEXT.get(severity, severity.capitalize()), "size": size}


@register.inclusion_tag("dashboard/_grade.html")
def grade_badge(grade: int | None) -> dict[str, Any]:
    return {"grade": grade}
