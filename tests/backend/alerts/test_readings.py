"""Specification of what grading reads of a patient's past readings (backend.alerts.readings).

Grading asks two things of the past: the latest reading of each analyte or symptom whose holds are
known (the label's holds follow it), and, after a reading that raised an alert, the first newer one
that no longer met the policy (the alert is then superseded: history, not news). It reads a bounded
window for each, so the work follows the batch, not how long the patient has been logging; where a
window cannot settle the question it reads the pair whole. Either way the answer is the same as
reading everything.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest
from django.db import transaction
from django.utils import timezone

from backend.alerts.grading import marks_in_claim
from backend.alerts.models import Alert
from backend.alerts.readings import AFTER_ROWS, LATEST_ROWS, history_read
from backend.records.models import LabResult
from shared.alert_policy import DEFAULT_POLICY
from tests.backend.support import IS_POSTGRES, grade_all, sync
from tests.factories import EnrolledPatient, lab_item

BOTH = ["ixazomib", "lenalidomide"]


def platelets(value: float, hours_ago: float) -> dict[str, Any]:
    return lab_item("platelets", value, collected_at=(timezone.now() - timedelta(hours=hours_ago)).isoformat())


def synced(patient: EnrolledPatient, *items: dict[str, Any]) -> None:
    response = sync(patient, lab_results=list(items))
    assert response.status_code == 200 and response.json()["rejected"] == [], response.json()
    grade_all()


def alert_listing(reading: dict[str, Any]) -> Alert:
    (alert,) = [a for a in Alert.objects.all() if any(r["id"] == reading["id"] for r in a.readings)]
    return alert


def test_a_backlog_reading_is_superseded_by_a_recovery_beyond_a_long_run_of_low_counts(
    patient: EnrolledPatient,
) -> None:
    """More low counts follow the backlog reading than its window holds, then a recovery, then low
    counts again today: the recovery is neither in the window nor among the newest, yet it still
    makes the backlog reading history rather than part of today's live episode."""
    run = [platelets(20, hours_ago=399 - i) for i in range(AFTER_ROWS + 1)]
    synced(patient, *run, platelets(150, hours_ago=300), *[platelets(21, hours_ago=h) for h in (10, 9, 8)])
    live = Alert.objects.get(superseded=False)
    backlog = platelets(22, hours_ago=400)

    synced(patient, backlog)

    assert alert_listing(backlog).superseded is True
    assert Alert.objects.get(pk=live.pk).readings == live.readings  # today's episode did not take it


def test_the_latest_count_of_known_grade_lifts_a_hold_behind_newer_ones_of_unknown_grade(
    patient: EnrolledPatient,
) -> None:
    """Newer counts that could not be graded (a nurse reviews them) say nothing of the holds: the
    latest count that was graded decides them, however many unknown ones came after it."""
    synced(patient, platelets(22, hours_ago=48))
    unknown = [platelets(200, hours_ago=h) for h in (1, 0.5, 0.2)][:LATEST_ROWS]
    assert sync(patient, lab_results=unknown).status_code == 200
    LabResult.objects.filter(pk__in=[i["id"] for i in unknown]).update(graded_at=timezone.now(), grade=None)
    recovered = platelets(180, hours_ago=2)

    synced(patient, recovered)

    (alert,) = Alert.objects.all()
    assert alert.holds_in_force == [] and [lift["id"] for lift in alert.hold_lifts] == [recovered["id"]]


def _history_rows(patient: EnrolledPatient, reading: dict[str, Any], *, raised: bool) -> int:
    row = LabResult.objects.get(pk=UUID(reading["id"]))
    row.graded_at, row.grade = timezone.now(), 0 if not raised else 4
    LabResult.objects.filter(pk=row.pk).update(graded_at=row.graded_at)
    with transaction.atomic():
        history = history_read(
            labs=[row],
            symptoms=[],
            policy_of=lambda _: DEFAULT_POLICY,
            raised=[row] if raised else [],
            writes_grades=marks_in_claim(),
        )
    return sum(len(found) for found in history.rows.values())


@pytest.mark.skipif(not IS_POSTGRES, reason="SQLite, in process, reads each pair from the reading on, complete")
def test_grading_a_backdated_reading_reads_a_window_not_the_patients_whole_history(patient: EnrolledPatient) -> None:
    """200 counts over 200 hours, then one from the middle of them: grading reads the newest few
    (its latest) and, had it raised an alert, the first few after it; not the hundred after it."""
    synced(patient, *[platelets(150 + i % 50, hours_ago=h) for i, h in enumerate(range(1, 201))])
    quiet, alerting = platelets(160, hours_ago=100.5), platelets(20, hours_ago=100.25)
    assert sync(patient, lab_results=[quiet, alerting]).status_code == 200

    assert _history_rows(patient, quiet, raised=False) == LATEST_ROWS
    assert _history_rows(patient, alerting, raised=True) == LATEST_ROWS + AFTER_ROWS
