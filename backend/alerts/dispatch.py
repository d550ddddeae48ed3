"""Hand new readings to the grading task once their transaction has committed.

If the broker is unreachable the sync still succeeds: the readings are stored ungraded and the
sweeper grades them when Redis is back (nothing is lost, nothing is graded twice).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from uuid import UUID

from django.db import transaction

logger = logging.getLogger(__name__)


def grading_enqueue_on_commit(*, lab_ids: Sequence[UUID], symptom_ids: Sequence[UUID]) -> None:
    if not lab_ids and not symptom_ids:
        return
    labs = [str(i) for i in lab_ids]
    symptoms = [str(i) for i in symptom_ids]

    def send() -> None:
        from backend.alerts.tasks import grade_readings

        try:
            grade_readings.apply_async(kwargs={"lab_ids": labs, "symptom_ids": symptoms}, retry=False)
        except Exception:
            logger.warning(
                "grading task not queued (broker unavailable); the sweeper will grade %d readings",
                len(labs) + len(symptoms),
            )

    transaction.on_commit(send)
