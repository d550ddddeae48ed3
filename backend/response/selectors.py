"""Read a patient's response: the stored markers through shared.response, and the §5 answer."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from django.db.models import Subquery

from backend.accounts.models import Role, User
from backend.core.errors import NotFound
from backend.patients.calendar import patient_calendar
from backend.patients.models import Patient
from backend.patients.selectors import patients_visible_to
from backend.response.models import ClinicResponseSettings, EnteredBy, MarkerResult
from shared import regimen
from shared.markers import MARKERS
from shared.response import (
    Assessment,
    CategoryAt,
    Mrd,
    Reading,
    ResponseSettings,
    ResponseSummary,
    Track,
    assessments_by_day,
    evaluate,
    progression_threshold,
)
from shared.response_tests import DEFAULT_EVERY_CYCLES, NextTest, may_space_tests, next_test

TEST_MARKERS = ("serum_m_protein", "urine_m_protein", "kappa_flc", "lambda_flc")
UNITS = {Track.SERUM: "g/dL", Track.URINE: "mg/24h", Track.FLC: "mg/L", Track.MARROW: "%"}


def patient_for_response(*, user: User, patient_id: object) -> Patient:
    """The patient for their own id; a nurse or clinic admin for her clinic's patients; anyone
    else, or another clinic's patient: 404, never the content."""
    try:
        wanted = UUID(str(patient_id))
    except ValueError:
        raise NotFound() from None
    if user.role == Role.PATIENT:
        own: Patient | None = getattr(user, "patient", None)
        if own is None or own.pk != wanted:
            raise NotFound()
        return own
    found = patients_visible_to(user).filter(pk=wanted).select_related("clinic").first()
    if found is None:
        raise NotFound()
    return found


def staff_patient(*, user: User, patient_id: object) -> Patient:
    """A patient of the nurse's or admin's clinic, or 404."""
    try:
        wanted = UUID(str(patient_id))
    except ValueError:
        raise NotFound() from None
    found = patients_visible_to(user).filter(pk=wanted).select_related("clinic").first()
    if found is None:
        raise NotFound()
    return found


def serum_threshold(clinic_id: int) -> Decimal:
    value = ClinicResponseSettings.objects.filter(clinic_id=clinic_id).values_list("serum_measurable", flat=True)
    found = value.first()
    return Decimal(found) if found is not None else ResponseSettings().serum_measurable


def readings_of(rows: Iterable[MarkerResult]) -> list[Reading]:
    return [
        Reading(
            marker=row.marker,
            collected_at=row.collected_at,
            value=row.canonical_value,
            text=row.text or None,
            method=row.method or None,
            sensitivity=row.sensitivity or None,
            by_care_team=row.entered_by == EnteredBy.CARE_TEAM,
            key=str(row.pk),
        )
        for row in rows
    ]


@dataclass(frozen=True)
class ClinicChoices:
    """The clinic's response settings, as they apply to this patient's markers."""

    serum_measurable: Decimal
    test_every_cycles: int


def response_summary(patient: Patient) -> tuple[ResponseSummary, list[Assessment]]:
    summary, assessments, _ = response_read(patient)
    return summary, assessments


def response_read(patient: Patient) -> tuple[ResponseSummary, list[Assessment], ClinicChoices]:
    """One query: the patient's markers, each carrying the clinic's settings. Without markers there
    is no baseline and no test drawn, so the settings do not matter and the defaults stand in."""
    setting = ClinicResponseSettings.objects.filter(clinic_id=patient.clinic_id)
    rows = list(
        MarkerResult.objects.filter(patient_id=patient.pk)
        .only("id", "marker", "collected_at", "canonical_value", "text", "method", "sensitivity", "entered_by")
        .annotate(
            serum_threshold=Subquery(setting.values("serum_measurable")[:1]),
            every_cycles=Subquery(setting.values("test_every_cycles")[:1]),
        )
    )
    threshold, every = (rows[0].serum_threshold, rows[0].every_cycles) if rows else (None, None)  # type: ignore[attr-defined]
    choices = ClinicChoices(
        Decimal(threshold) if threshold is not None else ResponseSettings().serum_measurable,
        int(every) if every is not None else DEFAULT_EVERY_CYCLES,
    )
    assessments = assessments_by_day(readings_of(rows), ZoneInfo(patient.timezone))
    settings = ResponseSettings(serum_measurable=choices.serum_measurable)
    return evaluate(assessments, patient.start_date, settings), assessments, choices


def last_test_day(assessments: list[Assessment]) -> date | None:
    """The last day an SPEP, UPEP or FLC was drawn (any assessment, the baseline's too)."""
    return next((a.day for a in reversed(assessments) if any(m in a.readings for m in TEST_MARKERS)), None)


def responded(summary: ResponseSummary) -> bool:
    """Whether the clinic's longer test interval applies: a confirmed PR or better that holds, not
    measured by free light chains alone (shared.response_tests.may_space_tests)."""
    return may_space_tests(summary)


def clinic_test_every_cycles(clinic_id: int) -> int:
    found = ClinicResponseSettings.objects.filter(clinic_id=clinic_id).values_list("test_every_cycles", flat=True)
    return found.first() or DEFAULT_EVERY_CYCLES


def next_response_test(
    patient: Patient,
    last_test: date | None,
    has_responded: bool,
    every: int,
    now: datetime,
    calendar: regimen.Calendar | None = None,
) -> NextTest:
    """Due on a day 1 of the patient's calendar (`calendar`: theirs, when the caller has it), the care
    team's cycle delays included."""
    today = now.astimezone(ZoneInfo(patient.timezone)).date()
    return next_test(
        start=calendar or patient_calendar(patient),
        last_test=last_test,
        responded=has_responded,
        today=today,
        every_cycles=every,
    )


def _number(value: Decimal) -> float | int:
    return int(value) if value == value.to_integral_value() else float(value)


def _values(values: Any) -> dict[str, Any]:
    return {k: (_number(v) if isinstance(v, Decimal) else v) for k, v in values.items()}


def _at(found: CategoryAt | None) -> dict[str, Any] | None:
    if found is None:
        return None
    return {"category": found.category.value, "confirmed": found.confirmed, "since": found.since.isoformat()}


def _mrd(found: Mrd | None) -> dict[str, Any] | None:
    if found is None:
        return None
    return {
        "status": found.status.value,
        "method": found.method,
        "sensitivity": found.sensitivity,
        "date": found.day.isoformat(),
        "sustained": found.sustained,
    }


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def response_payload(
    patient: Patient, summary: ResponseSummary, threshold: Decimal, due: NextTest | None = None
) -> dict[str, Any]:
    """Contract §5's answer, plus what a nurse, a doctor and the phone need around it."""
    m = summary.measurable
    nadir = None
    if summary.nadir is not None and m.by is not None:
        at, strict = progression_threshold(m.by, summary.nadir[1])
        nadir = {
            "date": summary.nadir[0].isoformat(),
            "value": _number(summary.nadir[1]),
            "unit": UNITS[m.by],
            "progression_at": _number(at),
            "progression_above": strict,
        }
    baseline = None
    if summary.baseline is not None:
        baseline = {
            "date": summary.baseline.day.isoformat(),
            "values": _values(
                {k: r.value if r.value is not None else r.text for k, r in summary.baseline.readings.items()}
            ),
        }
    return {
        "patient": str(patient.pk),
        "measurable_by": m.by.value if m.by else None,
        "involved_chain": m.involved,
        "serum_measurable_threshold": _number(threshold),
        "start_date": patient.start_date.isoformat(),
        "baseline": baseline,
        "current": _at(summary.current),
        "best": _at(summary.best),
        "nadir": nadir,
        "time_to_first_response": (
            {"date": _iso(summary.first_response), "days": summary.time_to_response_days}
            if summary.first_response
            else None
        ),
        "duration_of_response": (
            {
                "from": _iso(summary.first_response),
                "to": _iso(summary.progression),
                "days": summary.duration_of_response_days,
                "ongoing": summary.response_ongoing,
            }
            if summary.first_response
            else None
        ),
        "relapse_from_cr": {"date": _iso(summary.relapse_from_cr)} if summary.relapse_from_cr else None,
        "mrd": _mrd(summary.mrd),
        "next_test": (
            {"cycle": due.cycle, "due": due.due.isoformat(), "overdue": due.overdue} if due is not None else None
        ),
        "progression_episodes": [
            {
                "start": e.start.isoformat(),
                "latest": e.latest.isoformat(),
                "confirmed": e.confirmed,
                "why": list(e.reasons),
            }
            for e in summary.episodes
        ],
        "assessments": [
            {
                "date": a.day.isoformat(),
                "category": a.category.value,
                "confirmed": a.confirmed,
                "values": _values(a.values),
                "progression": list(a.progression),
                "mrd": _mrd(a.mrd),
            }
            for a in summary.assessments
        ],
    }


def marker_item(row: MarkerResult) -> dict[str, Any]:
    """A stored marker as its wire item (contract §5), plus who entered it and the canonical value."""
    item: dict[str, Any] = {
        "id": str(row.pk),
        "marker": row.marker,
        "value": row.text if row.text else _number(row.value) if row.value is not None else None,
        "collected_at": row.collected_at.isoformat(),
        "entered_by": row.entered_by,
    }
    if row.unit:
        item["unit"] = row.unit
        item["canonical_value"] = _number(row.canonical_value) if row.canonical_value is not None else None
        item["canonical_unit"] = MARKERS[row.marker].canonical_unit if row.marker in MARKERS else None
    if row.method:
        item["method"], item["sensitivity"] = row.method, row.sensitivity
    return item
