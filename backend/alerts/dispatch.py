"""Hand new readings to the grading task once their transaction has committed.

If the broker is unreachable the sync still succeeds, at its normal speed: the publish is bounded
to a fraction of a second and skipped for a few seconds after a failure (backend.core.publishing);
the readings are stored ungraded and the sweeper grades them (nothing is lost, nothing is graded twice).

A task is queued only when none waits for readings of its kind (a flag per kind, cleared by the
task before it claims; backend.alerts.tasks.grading_enqueue): the waiting task takes every reading
of that kind committed before it starts (grading.Waiting), so under load the worker runs one task
per free moment, not one per sync.
"""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from django.db import transaction


def grading_enqueue_on_commit(*, lab_ids: Sequence[UUID], symptom_ids: Sequence[UUID]) -> None:
    if not lab_ids and not symptom_ids:
        return
    labs = [str(i) for i in lab_ids]
    symptoms = [str(i) for i in symptom_ids]

    def send() -> None:
        from backend.alerts.tasks import grading_enqueue

        grading_enqueue(lab_ids=labs, symptom_ids=symptoms)

    transaction.on_commit(send)
