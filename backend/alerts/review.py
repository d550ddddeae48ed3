"""A reading grading cannot grade goes to a nurse as an urgent "Reading needs review" alert.

Two ways in. A row whose own grading raises gets it inside its batch (grading._safely). A reading
whose whole batch fails (a statement beyond one row's grading: the claim, the history, the alert's
insert) is graded alone by the sweeper (grading.ungraded_one_by_one); one that fails even alone gets
it here, on a path that shares no statement with grading: its own transaction that reads the
reading's few columns, inserts one alert row (or lists the reading in the patient's open review
alert: alerts are episodes, as with _safely) and marks the reading graded without a grade.

Marked, not retried: the alert puts the reading in a nurse's hands, as _safely's does; left
ungraded it would fail the sweeper's first batch on every tick, and each tick would then grade one
at a time (a backlog behind it crawling). If the mark itself fails, the alert is raised alone and
the reading stays ungraded: retried every sweep, never raised twice (a reading an alert names or
lists raises nothing). If even that fails, the caller logs it and the next sweep tries again.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any
from uuid import UUID

from django.db import transaction
from django.utils import timezone

from backend.alerts.episodes import api_time
from backend.alerts.models import UNRESOLVED, Alert, SourceType
from backend.alerts.readings import lab_value_text
from backend.patients.models import CareStatus, Patient
from backend.records.models import LabResult, SymptomReport
from shared.alert_policy import AlertCandidate, Severity

logger = logging.getLogger(__name__)

REVIEW_NEEDED = "review_needed"

REVIEW = AlertCandidate(
    REVIEW_NEEDED,
    None,
    Severity.URGENT,
    (),
    "Reading needs review",
    "CareLoop could not grade this reading automatically; please review it.",
    "Your care team has been told and will look at this entry.",
    "CareLoop: grading failed",
)


def review_raise(model: type[LabResult] | type[SymptomReport], reading_id: UUID) -> list[UUID]:
    """Put a reading that fails grading even alone before a nurse, and mark it graded (no grade).
    → the new alert to announce ([] if an alert lists it already, its patient is paused, or another
    grader holds or graded it). Raises if no alert could be raised: it stays ungraded."""
    try:
        return _review(model, reading_id, mark=True)
    except Exception:
        logger.exception("could not mark %s %s for review; raising its review alert alone", model.__name__, reading_id)
    return _review(model, reading_id, mark=False)


def _review(model: type[LabResult] | type[SymptomReport], reading_id: UUID, *, mark: bool) -> list[UUID]:
    now = timezone.now()
    lab = model is LabResult
    key, at = ("analyte", "collected_at") if lab else ("symptom", "reported_at")
    with transaction.atomic():
        # Its few columns, locked: a grader holding it (its own task, retried) decides instead.
        row = (
            model.objects.select_for_update(skip_locked=True)
            .filter(pk=reading_id, graded_at__isnull=True)
            .values("patient_id", key, at, *(("canonical_value", "unit") if lab else ()))
            .first()
        )
        if row is None:
            return []
        patient_id, source_type = row["patient_id"], SourceType.LAB_RESULT if lab else SourceType.SYMPTOM_REPORT
        raised: list[UUID] = []
        # A paused or discharged patient's readings raise no alert (patients.care_status): kept, marked.
        active = Patient.objects.filter(pk=patient_id, care_status=CareStatus.ACTIVE).exists()
        if active and not _listed(patient_id, source_type, reading_id):
            entry = {
                "type": source_type,
                "id": str(reading_id),
                "value": _value(row, key),
                "observed_at": api_time(row[at]),
                "key": row[key],
                "grade": None,
                "severity": REVIEW.severity.value,
                "hold_drugs": [],
            }
            raised = _raised(patient_id, source_type, reading_id, row[at], entry, now)
        if mark:
            _mark(model, reading_id, now)
    return raised


def _mark(model: type[LabResult] | type[SymptomReport], reading_id: UUID, now: datetime) -> None:
    """Graded without a grade, as _safely leaves a row: it then neither holds nor lifts a drug."""
    model.objects.filter(pk=reading_id).update(graded_at=now, grade=None)


def _listed(patient_id: UUID, source_type: str, reading_id: UUID) -> bool:
    """Whether an alert names the reading as its source or a review alert lists it (raised before,
    the reading left ungraded): a retried sweep raises nothing twice."""
    if Alert.objects.filter(source_type=source_type, source_id=reading_id).exists():
        return True
    listed = Alert.objects.filter(patient_id=patient_id, kind=REVIEW_NEEDED).values_list("readings", flat=True)
    return any(entry.get("id") == str(reading_id) for readings in listed for entry in readings)


def _value(row: dict[str, Any], key: str) -> str:
    """The reading's words as an episode lists them, or just what it is if even those fail."""
    name = str(row[key])
    if key == "analyte":
        try:
            return lab_value_text(name, row["canonical_value"], str(row["unit"]))
        except Exception:
            return name.upper()
    return name.replace("_", " ").capitalize()


def _raised(
    patient_id: UUID, source_type: str, reading_id: UUID, observed_at: datetime, entry: dict[str, object], now: datetime
) -> list[UUID]:
    """A new review alert for the reading (→ its id, to announce), or the reading listed in the
    patient's open one (one episode per kind; not worse, so not announced again)."""
    alert = Alert(
        patient_id=patient_id,
        kind=REVIEW_NEEDED,
        severity=REVIEW.severity.value,
        title=REVIEW.title,
        message=REVIEW.message,
        patient_advice=REVIEW.patient_advice,
        rule_source=REVIEW.source,
        source_type=source_type,
        source_id=reading_id,
        observed_at=observed_at,
        readings=[entry],
        created_at=now,
        updated_at=now,
    )
    Alert.objects.bulk_create([alert], ignore_conflicts=True)
    if Alert.objects.filter(pk=alert.pk).exists():
        return [alert.pk]
    # Refused by one_episode_per_kind: the patient's open review alert (its insert committed: on
    # PostgreSQL a conflicting insert waits for it) lists the reading.
    episode = (
        Alert.objects.select_for_update()
        .filter(patient_id=patient_id, kind=REVIEW_NEEDED, superseded=False, status__in=UNRESOLVED)
        .first()
    )
    if episode is None:
        raise RuntimeError("the review alert was refused and the patient has no open one to join")
    episode.readings = sorted([*episode.readings, entry], key=lambda e: datetime.fromisoformat(str(e["observed_at"])))
    episode.updated_at = now
    episode.save(update_fields=["readings", "updated_at"])
    return []
