"""Celery interfaces to grading: they take ids, call a service, and are safe to run twice."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any
from uuid import UUID

from celery import shared_task
from django.conf import settings

from backend.alerts import announce, escalation, grading

logger = logging.getLogger(__name__)


@shared_task(
    name="careloop.alerts.grade_readings",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(Exception,),
    max_retries=5,
    retry_backoff=True,
    retry_backoff_max=60,
)
def grade_readings(lab_ids: list[str] | None = None, symptom_ids: list[str] | None = None, **_: Any) -> int:
    outcome = grading.readings_grade(
        lab_ids=[UUID(i) for i in lab_ids or ()], symptom_ids=[UUID(i) for i in symptom_ids or ()]
    )
    if outcome.alerts_raised:
        logger.info("graded %d readings, raised %d alerts", outcome.graded, len(outcome.alerts_raised))
        announce_alerts.delay(alert_ids=[str(i) for i in outcome.alerts_raised])
    return outcome.graded


@shared_task(
    name="careloop.alerts.announce",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(Exception,),
    max_retries=5,
    retry_backoff=True,
)
def announce_alerts(alert_ids: list[str], **_: Any) -> int:
    from backend.notifications.tasks import send_due

    announced = announce.alerts_announce(alert_ids=[UUID(i) for i in alert_ids])
    if announced:
        send_due.delay()
    return announced


@shared_task(name="careloop.alerts.sweep_ungraded", acks_late=True, ignore_result=True, max_retries=0)
def sweep_ungraded(**_: Any) -> int:
    outcome = grading.ungraded_sweep(older_than=timedelta(seconds=settings.CARELOOP_SWEEP_AFTER_SECONDS))
    if outcome.graded:
        logger.warning("sweeper graded %d readings that missed their task", outcome.graded)
    if outcome.alerts_raised:
        announce_alerts.delay(alert_ids=[str(i) for i in outcome.alerts_raised])
    late = announce.unannounced_alert_ids(older_than=timedelta(seconds=settings.CARELOOP_SWEEP_AFTER_SECONDS))
    if late:
        announce_alerts.delay(alert_ids=[str(i) for i in late])
    return outcome.graded


@shared_task(name="careloop.alerts.escalate", acks_late=True, ignore_result=True, max_retries=0)
def escalate(**_: Any) -> int:
    """Beat runs this every CARELOOP_ESCALATION_EVERY_SECONDS; each step is claimed, so overlapping
    runs are harmless. What a step queued is sent right away rather than at the next sweep."""
    from backend.notifications.tasks import send_due

    outcome = escalation.escalations_run()
    if outcome.steps:
        send_due.delay()
    return len(outcome.steps)
