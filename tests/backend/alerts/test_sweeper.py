"""The sweeper task (beat, every CARELOOP_SWEEP_EVERY_SECONDS): after a Redis outage every reading
synced meanwhile waits for it, so one run grades a backlog of many batches, not just one."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from backend.alerts import grading
from backend.alerts.tasks import sweep_ungraded
from backend.records.models import LabResult
from tests.backend.support import batches_fail_with, sync
from tests.factories import EnrolledPatient, lab_item


def test_one_sweep_grades_a_backlog_larger_than_a_batch(patient: EnrolledPatient, settings: Any) -> None:
    settings.CARELOOP_SWEEP_AFTER_SECONDS = 0
    backlog = grading.SWEEP_BATCH + 100
    # Normal platelets: no alert, so nothing is published to Redis from this test.
    readings = [lab_item("platelets", 150 + n % 200) for n in range(backlog)]
    for start in range(0, backlog, 300):
        assert sync(patient, lab_results=readings[start : start + 300]).status_code == 200

    assert sweep_ungraded() == backlog
    assert not LabResult.objects.filter(graded_at__isnull=True).exists()


def test_a_reading_that_fails_its_batch_holds_back_no_other(
    patient: EnrolledPatient, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sweeper takes the oldest first: a reading whose batch fails (a fault beyond one row's
    grading) would fail every sweep and leave every reading after it ungraded. The batch's readings
    are then graded one at a time: all but that one."""
    settings.CARELOOP_SWEEP_AFTER_SECONDS = 0
    poison = lab_item("platelets", 20)
    assert sync(patient, lab_results=[poison]).status_code == 200
    # Normal platelets: no alert, so nothing is published to Redis from this test.
    assert sync(patient, lab_results=[lab_item("platelets", 150 + n) for n in range(3)]).status_code == 200
    batches_fail_with(poison["id"], monkeypatch)

    assert sweep_ungraded() == 3
    assert list(LabResult.objects.filter(graded_at__isnull=True).values_list("id", flat=True)) == [
        uuid.UUID(poison["id"])
    ]
