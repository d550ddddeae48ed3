"""The dashboard's Jinja2 environment, for the few templates rendered too often for Django's engine
(the queue's rows: backend/dashboard/queue_rows_context.py). Built once; its templates live in
backend/dashboard/jinja2/.

Escaping is Django's, not markupsafe's: every `{{ value }}` is escaped first as Django escapes it
(`finalize`), so the markup is byte for byte what a Django template sends (`&#x27;`, not `&#39;`),
and safe strings, Django's (the badges) or Jinja2's, pass unchanged, as both have `__html__`.
Autoescape stays on: a value is never sent raw by mistake."""

from __future__ import annotations

import html
from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import jinja2
from django.conf import settings
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from markupsafe import Markup

from backend.dashboard import badges, clinical_terms, wording


def fill(phrase: str, **values: Any) -> SafeString:
    """A translated phrase with its %(name)s placeholders filled by escaped values, as Django's
    {% blocktranslate %} does: the phrase is the catalog's (ours), the values are escaped."""
    return mark_safe(phrase % {name: conditional_escape(value) for name, value in values.items()})  # noqa: S308


def escape_as_django(value: Any) -> Any:
    """Django's conditional_escape, to the byte (html.escape), without its wrapper for lazy strings:
    a page escapes some 2,500 values, and through that wrapper they were nearly half the rows' time
    under cProfile."""
    if hasattr(value, "__html__"):
        return value
    return Markup(html.escape(str(value)))  # noqa: S704 - escaped here


def _duration(value: timedelta | None) -> str:
    return wording.duration(value) if value is not None else ""


def _iso(value: datetime | None) -> str:
    return value.isoformat() if value else ""


FILTERS: Mapping[str, Any] = {
    "alert_title": clinical_terms.alert_title,
    "drug": wording.drug_label,
    "duration": _duration,
    "fill": fill,
    "iso": _iso,
    "kind": wording.kind_label,
    "outcome": wording.outcome_label,
    "person": wording.person_name,
}

environment = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "jinja2"),
    autoescape=True,
    finalize=escape_as_django,
    # An edited template shows without a restart under runserver; otherwise it is read once.
    auto_reload=settings.DEBUG,
)
environment.filters.update(FILTERS)
environment.globals.update(severity_badge=badges.severity_badge, grade_badge=badges.grade_badge)


def render(template_name: str, context: Mapping[str, Any]) -> SafeString:
    # Jinja2's output is escaped (autoescape): safe for Django to send as it is.
    return mark_safe(environment.get_template(template_name).render(context))  # noqa: S308
