"""The dashboard's Jinja2 environment, for the few templates rendered too often for Django's engine
(the queue's rows: backend/dashboard/queue_rows_context.py). Built once; its templates live in
backend/dashboard/jinja2/.

Escaping is Django's, not markupsafe's: every `{{ value }}` goes through conditional_escape first
(`finalize`), so the markup is byte for byte what a Django template sends (`&#x27;`, not `&#39;`),
and Django's safe strings (badges, the CSRF input) pass unchanged, as markupsafe honours their
`__html__`. Autoescape stays on: a value is never sent raw by mistake."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import jinja2
from django.conf import settings
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

from backend.dashboard import badges, clinical_terms, wording


def fill(phrase: str, **values: Any) -> SafeString:
    """A translated phrase with its %(name)s placeholders filled by escaped values, as Django's
    {% blocktranslate %} does: the phrase is the catalog's (ours), the values are escaped."""
    return mark_safe(phrase % {name: conditional_escape(value) for name, value in values.items()})  # noqa: S308


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
    finalize=conditional_escape,
    # An edited template shows without a restart under runserver; otherwise it is read once.
    auto_reload=settings.DEBUG,
)
environment.filters.update(FILTERS)
environment.globals.update(severity_badge=badges.severity_badge, grade_badge=badges.grade_badge)


def render(template_name: str, context: Mapping[str, Any]) -> SafeString:
    # Jinja2's output is escaped (autoescape): safe for Django to send as it is.
    return mark_safe(environment.get_template(template_name).render(context))  # noqa: S308
