"""The patient page's "Response" panel: the patient's IMWG response (backend.response), the chart
of the tracked marker with its reference lines, and every assessment, in two queries."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.utils.functional import Promise
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, gettext_lazy

from backend.core.errors import ApplicationError
from backend.dashboard.response_chart import ReferenceLine, ResponseChart, ResponsePoint, render_response_chart
from backend.patients.models import Patient
from backend.response.selectors import UNITS, last_test_day, next_response_test, responded, response_read
from shared.response import (
    CATEGORY_NAMES,
    LEFT_AFTER_50,
    LEFT_AFTER_90,
    ResponseSummary,
    Track,
    progression_threshold,
)
from shared.response_tests import NextTest

TRACK_NAMES: Mapping[Track, Promise] = {
    Track.SERUM: gettext_lazy("Serum M-protein"),
    Track.URINE: gettext_lazy("Urine M-protein (24 h)"),
    Track.FLC: gettext_lazy("dFLC (involved − uninvolved free light chain)"),
    Track.MARROW: gettext_lazy("Marrow plasma cells"),
}
# shared.response's IMWG category names (English, as FHIR says them), in the reader's language.
CATEGORY_WORDS: Mapping[str, Promise] = {
    "Stringent complete response": gettext_lazy("Stringent complete response"),
    "Complete response": gettext_lazy("Complete response"),
    "Very good partial response": gettext_lazy("Very good partial response"),
    "Partial response": gettext_lazy("Partial response"),
    "Minimal response": gettext_lazy("Minimal response"),
    "Stable disease": gettext_lazy("Stable disease"),
    "Progressive disease": gettext_lazy("Progressive disease"),
    "Not evaluable": gettext_lazy("Not evaluable"),
}


def category_name(category: str) -> str:
    english = CATEGORY_NAMES[category]  # type: ignore[index]
    return str(CATEGORY_WORDS.get(english, english))


# The marker items a nurse may enter in the panel's form, with their units (shared.markers).
FORM_MARKERS: tuple[tuple[str, Promise, tuple[str, ...]], ...] = (
    ("serum_m_protein", gettext_lazy("Serum M-protein"), ("g/dL", "g/L")),
    ("urine_m_protein", gettext_lazy("Urine M-protein (24 h)"), ("mg/24h", "g/24h")),
    ("kappa_flc", gettext_lazy("Free κ light chain"), ("mg/L", "mg/dL")),
    ("lambda_flc", gettext_lazy("Free λ light chain"), ("mg/L", "mg/dL")),
    ("marrow_plasma_cells", gettext_lazy("Marrow plasma cells"), ("%",)),
)
FORM_CHOICES: tuple[tuple[str, Promise, tuple[str, ...]], ...] = (
    ("serum_ife", gettext_lazy("Serum immunofixation"), ("positive", "negative")),
    ("urine_ife", gettext_lazy("Urine immunofixation"), ("positive", "negative")),
    ("marrow_clonal_cells", gettext_lazy("Clonal plasma cells"), ("present", "absent")),
    ("new_lesion", gettext_lazy("New lesion on imaging"), ("yes", "no")),
)


@dataclass(frozen=True)
class ResponsePanel:
    summary: ResponseSummary
    tracked_name: str | None
    unit: str | None
    svg: SafeString | None
    rows: list[dict[str, Any]]
    next_test: NextTest | None = None
    form_markers: tuple[tuple[str, Promise, tuple[str, ...]], ...] = FORM_MARKERS
    form_choices: tuple[tuple[str, Promise, tuple[str, ...]], ...] = FORM_CHOICES

    @property
    def current_name(self) -> str:
        current = self.summary.current
        return category_name(current.category) if current else ""

    @property
    def best_name(self) -> str:
        best = self.summary.best
        return category_name(best.category) if best else ""


def _text(value: Decimal | str) -> str:
    return format(value.normalize(), "f") if isinstance(value, Decimal) else value


def _float(value: Decimal) -> float:
    return float(value)


def response_panel(*, patient: Patient, now: datetime) -> ResponsePanel:
    summary, assessments, choices = response_read(patient)
    last = last_test_day(assessments)
    due = next_response_test(patient, last, responded(summary), choices.test_every_cycles, now) if last else None
    by = summary.measurable.by
    rows = [
        {
            "date": a.day,
            "category": a.category.value,
            "name": category_name(a.category.value),
            "confirmed": a.confirmed,
            "values": ", ".join(f"{k.replace('_', ' ')} {_text(v)}" for k, v in a.values.items()),
            "progression": ", ".join(a.progression),
        }
        for a in reversed(summary.assessments)
    ]
    if by is None or summary.baseline is None:
        return ResponsePanel(summary, None, None, None, rows, due)
    base = summary.tracked(summary.baseline)
    points = []
    by_day = {a.day: a for a in assessments}
    for result in summary.assessments:
        value = summary.tracked(by_day[result.day])
        if value is not None:
            points.append(ResponsePoint(result.day, _float(value), result.category.value, result.confirmed))
    lines: list[ReferenceLine] = []
    if base is not None:
        points.insert(0, ResponsePoint(summary.baseline.day, _float(base), "baseline", True))
        lines.append(ReferenceLine(_float(base), gettext("Baseline"), "ref-baseline"))
        lines.append(ReferenceLine(_float(base * LEFT_AFTER_50), "−50% (PR)", "ref-pr"))
        if by is not Track.MARROW:
            lines.append(ReferenceLine(_float(base * LEFT_AFTER_90), "−90% (VGPR)", "ref-vgpr"))
    if summary.nadir is not None:
        threshold, strict = progression_threshold(by, summary.nadir[1])
        lines.append(ReferenceLine(_float(summary.nadir[1]), gettext("Nadir"), "ref-nadir"))
        lines.append(ReferenceLine(_float(threshold), gettext("PD above") if strict else gettext("PD from"), "ref-pd"))
    name = str(TRACK_NAMES[by])
    chart = ResponseChart(f"response-{patient.pk}", name, UNITS[by], tuple(points), tuple(lines))
    svg = mark_safe(render_response_chart(chart))  # noqa: S308 - built from escaped parts (response_chart.py)
    return ResponsePanel(summary, name, UNITS[by], svg, rows, due)


def markers_from_form(data: Mapping[str, Any], *, patient: Patient) -> list[dict[str, Any]]:
    """The panel form's fields as contract §5 items (one per marker filled in), collected at the
    given local date and time in the patient's zone; values stay text for shared.markers to judge."""
    try:
        local = datetime.fromisoformat(f"{data.get('collected_on', '')}T{data.get('collected_time', '') or '08:00'}")
    except ValueError:
        raise ApplicationError(
            {"collected_on": [gettext("Give the date (and time) the samples were taken.")]}
        ) from None
    at = local.replace(tzinfo=ZoneInfo(patient.timezone)).isoformat()
    items: list[dict[str, Any]] = []
    for key, _, units in FORM_MARKERS:
        raw = str(data.get(key, "")).strip()
        if not raw:
            continue
        try:
            value: Any = Decimal(raw)
        except ArithmeticError:
            value = raw  # refused below with the marker's own reason
        unit = str(data.get(f"{key}_unit", units[0]))
        items.append({"id": str(uuid.uuid4()), "marker": key, "value": value, "unit": unit, "collected_at": at})
    for key, _, _ in FORM_CHOICES:
        if raw := str(data.get(key, "")).strip():
            items.append({"id": str(uuid.uuid4()), "marker": key, "value": raw, "collected_at": at})
    if not items:
        raise ApplicationError({"markers": [gettext("Fill in at least one marker.")]})

    return items
