"""Hand new readings to the grading task once their transaction has committed.

If the broker is unreachable the sync still succeeds, at its normal speed: the publish is bounded
to a fraction of a second and skipped for a few seconds after a failure (backend.core.publishing);
the readings are stored ungraded and the sweeper grades them (nothing is lost, nothing is graded twice).

A task is queued only when none waits for readings of its kind (a flag per kind, cleared by the
task before it claims): the waiting task takes every reading of that kind committed before it
starts (grading.Waiting), so under load the worker runs one task per free moment, not one per sync.
"""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from django.conf import settings
from django.db import transaction

from backend.core.publishing import task_publish_unless_queued

#: A grading task is queued that will also take waiting readings of this kind (see grade_readings).
QUEUED_FLAGS = {"labs": "careloop:grading:queued:labs", "symptoms": "careloop:grading:queued:symptoms"}


def grading_enqueue_on_commit(*, lab_ids: Sequence[UUID], symptom_ids: Sequence[UUID]) -> None:
    if not lab_ids and not symptom_ids:
        return
    labs = [str(i) for i in lab_ids]
    symptoms = [str(i) for i in symptom_ids]
    transaction.on_commit(lambda: grading_enqueue(lab_ids=labs, symptom_ids=symptoms))


def grading_enqueue(*, lab_ids: list[str], symptom_ids: list[str]) -> bool:
    """Queue a grading task for these readings unless one of their kinds' is queued already."""
    from backend.alerts.tasks import grade_readings

    return task_publish_unless_queued(
        grade_readings,
        kwargs={"lab_ids": lab_ids, "symptom_ids": symptom_ids},
        flags=queued_flags(labs=bool(lab_ids), symptoms=bool(symptom_ids)),
        ttl_seconds=settings.CARELOOP_GRADING_QUEUED_SECONDS,
    )


def queued_flags(*, labs: bool, symptoms: bool) -> list[str]:
    return [flag for kind, flag in QUEUED_FLAGS.items() if {"labs": labs, "symptoms": symptoms}[kind]]
