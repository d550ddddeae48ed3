"""The sweeper task (beat, every CARELOOP_SWEEP_EVERY_SECONDS): after a Redis outage every reading
synced meanwhile waits for it, so one run grades a backlog of many batches, not just one."""

from __future__ import annotations

from typing import Any

from backend.alerts import grading
from backend.alerts.tasks import sweep_ungraded
from backend.records.models import LabResult
from tests.backend.support import sync
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
