"""Hand patients whose markers changed to the recompute task once their transaction commits.

If the broker is unreachable the request still succeeds: the markers stay unassessed and the
sweeper (backend.response.tasks.sweep_unassessed) recomputes those patients when Redis is back.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from uuid import UUID

from django.db import transaction

logger = logging.getLogger(__name__)

BATCH = 200


def recompute_enqueue_on_commit(*, patient_ids: Sequence[UUID]) -> None:
    if not patient_ids:
        return
    ids = [str(i) for i in dict.fromkeys(patient_ids)]

    def send() -> None:
        from backend.response.tasks import recompute_response

        for start in range(0, len(ids), BATCH):
            try:
                recompute_response.apply_async(kwargs={"patient_ids": ids[start : start + BATCH]}, retry=False)
            except Exception:
                logger.warning("response recompute not queued (broker unavailable); the sweeper will do it")
                return

    transaction.on_commit(send)
