"""Celery interfaces to the response recompute: they take ids, call a service, and are safe to run
twice. They run on the grading queue ("celery"); announcing goes through the alerts' own task."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any
from uuid import UUID

from celery import shared_task
from django.conf import settings

from backend.alerts.tasks import announce_alerts
from backend.response import recompute

logger = logging.getLogger(__name__)


@shared_task(
    name="careloop.response.recompute",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(Exception,),
    max_retries=5,
    retry_backoff=True,
    retry_backoff_max=60,
)
def recompute_response(patient_ids: list[str], **_: Any) -> int:
    outcome = recompute.responses_recompute(patient_ids=[UUID(i) for i in patient_ids])
    if outcome.alerts_raised:
        announce_alerts.delay(alert_ids=[str(i) for i in outcome.alerts_raised])
    return outcome.patients


@shared_task(name="careloop.response.sweep_unassessed", acks_late=True, ignore_result=True, max_retries=0)
def sweep_unassessed(**_: Any) -> int:
    outcome = recompute.unassessed_sweep(older_than=timedelta(seconds=settings.CARELOOP_SWEEP_AFTER_SECONDS))
    if outcome.patients:
        logger.warning("response sweeper recomputed %d patients whose markers missed their task", outcome.patients)
    if outcome.alerts_raised:
        announce_alerts.delay(alert_ids=[str(i) for i in outcome.alerts_raised])
    return outcome.patients
