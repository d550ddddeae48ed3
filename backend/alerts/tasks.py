"""Celery interfaces to grading: they take ids, call a service, and are safe to run twice."""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from typing import Any
from uuid import UUID

from celery import shared_task
from django.conf import settings

from backend.alerts import announce, checks, escalation, grading, tally
from backend.core.publishing import task_flags_clear, task_publish_unless_queued

logger = logging.getLogger(__name__)

#: Set while a grading task that will also take waiting readings of this kind is queued (grading_enqueue).
QUEUED_FLAGS = {"labs": "careloop:grading:queued:labs", "symptoms": "careloop:grading:queued:symptoms"}


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
    labs, symptoms = [UUID(i) for i in lab_ids or ()], [UUID(i) for i in symptom_ids or ()]
    # Before the claim: a sync that commits after this queues a task of its own; one that committed
    # before found the flag set, queued nothing, and its readings are this task's waiting ones.
    task_flags_clear(grade_readings, queued_flags(labs=bool(labs), symptoms=bool(symptoms)))
    # Readings younger than the sweeper's age: those of the syncs that came while this task was
    # queued, and of any whose own tasks are queued behind it.
    recent = grading.Waiting(grading.COALESCE_BATCH, timedelta(seconds=settings.CARELOOP_SWEEP_AFTER_SECONDS))
    try:
        outcome = grading.readings_grade(lab_ids=labs, symptom_ids=symptoms, also=recent)
    except Exception:
        # A waiting reading that fails its whole batch (not one row: those raise a review alert)
        # would otherwise fail every task that takes it, the oldest first: this task's own readings
        # are graded alone, then the waiting ones one at a time (their syncs may have queued no
        # task of their own), the one that fails even alone put before a nurse as a review alert.
        logger.exception("grading with the waiting readings failed; grading this task's own alone, then the rest")
        own = grading.readings_grade(lab_ids=labs, symptom_ids=symptoms)
        rest, _ = grading.waiting_one_by_one(recent, labs=bool(labs), symptoms=bool(symptoms))
        outcome = own + rest
    if outcome.more_waiting:  # a full batch: more may wait, and no sync may come to queue their task
        grading_enqueue(lab_ids=lab_ids or [], symptom_ids=symptom_ids or [])
    if outcome.to_announce:
        logger.info(
            "graded %d readings, raised %d alerts, made %d worse",
            outcome.graded,
            len(outcome.alerts_raised),
            len(outcome.alerts_worsened),
        )
        announce_alerts.delay(alert_ids=[str(i) for i in outcome.to_announce])
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


#: One sweep stops taking new batches after this long (under beat's 10 s period); the next takes the rest.
SWEEP_BUDGET_SECONDS = 8.0


@shared_task(name="careloop.alerts.sweep_ungraded", acks_late=True, ignore_result=True, max_retries=0)
def sweep_ungraded(**_: Any) -> int:
    """Batches until none is full or the budget is spent: after a Redis outage every reading synced
    meanwhile waits for the sweeper, and one batch a tick (500 per 10 s) lagged behind 50 phones."""
    older_than = timedelta(seconds=settings.CARELOOP_SWEEP_AFTER_SECONDS)
    deadline = time.monotonic() + SWEEP_BUDGET_SECONDS
    graded = 0
    while True:
        try:
            outcome = grading.ungraded_sweep(older_than=older_than, limit=grading.SWEEP_BATCH)
        except Exception:
            # Oldest first, a batch that fails would fail every sweep: one at a time instead, every
            # other reading graded, the failing one put before a nurse as a review alert (announced
            # below with the rest) or, if even that fails, logged and left for the next tick.
            logger.exception("a sweep batch failed; grading its readings one at a time")
            outcome, _ = grading.ungraded_one_by_one(older_than=older_than, limit=grading.SWEEP_BATCH)
            deadline = 0.0
        graded += outcome.graded
        if outcome.to_announce:
            announce_alerts.delay(alert_ids=[str(i) for i in outcome.to_announce])
        if outcome.graded < grading.SWEEP_BATCH or time.monotonic() > deadline:
            break
    if graded:
        logger.warning("sweeper graded %d readings that missed their task", graded)
    late = announce.unannounced_alert_ids(older_than=older_than)
    if late:
        announce_alerts.delay(alert_ids=[str(i) for i in late])
    return graded


@shared_task(name="careloop.alerts.escalate", acks_late=True, ignore_result=True, max_retries=0)
def escalate(**_: Any) -> int:
    """Beat runs this every CARELOOP_ESCALATION_EVERY_SECONDS; each step is claimed, so overlapping
    runs are harmless. What a step queued is sent right away rather than at the next sweep."""
    from backend.notifications.tasks import send_due

    outcome = escalation.escalations_run()
    if outcome.steps:
        send_due.delay()
    return len(outcome.steps)


# Between labs (issue 13 §3): beat runs these; each alert's source id names its patient and gap or
# episode, so a run twice, or two at once, raise nothing twice.
@shared_task(name="careloop.alerts.check_stale_labs", acks_late=True, ignore_result=True, max_retries=0)
def check_stale_labs(**_: Any) -> int:
    raised = checks.stale_labs_check()
    if raised:
        logger.info("stale labs: %d alerts", len(raised))
        announce_alerts.delay(alert_ids=[str(i) for i in raised])
    return len(raised)


@shared_task(name="careloop.alerts.check_count_trends", acks_late=True, ignore_result=True, max_retries=0)
def check_count_trends(**_: Any) -> int:
    raised = checks.early_warning_check(received_since=timedelta(seconds=settings.CARELOOP_TRENDS_LOOKBACK_SECONDS))
    if raised:
        logger.info("early warnings: %d alerts", len(raised))
        announce_alerts.delay(alert_ids=[str(i) for i in raised])
    return len(raised)


@shared_task(name="careloop.alerts.fold_tally", acks_late=True, ignore_result=True, max_retries=0)
def fold_tally(**_: Any) -> int:
    """Beat runs this every CARELOOP_TALLY_FOLD_EVERY_SECONDS: each clinic's tally deltas become one
    row per bucket, so the header's sum stays a few rows. Safe twice, or beside a running fold."""
    return tally.tally_fold()


def grading_enqueue(*, lab_ids: list[str], symptom_ids: list[str]) -> bool:
    """Queue a grading task for these readings unless one for each of their kinds is queued already."""
    return task_publish_unless_queued(
        grade_readings,
        kwargs={"lab_ids": lab_ids, "symptom_ids": symptom_ids},
        flags=queued_flags(labs=bool(lab_ids), symptoms=bool(symptom_ids)),
        ttl_seconds=settings.CARELOOP_GRADING_QUEUED_SECONDS,
    )


def queued_flags(*, labs: bool, symptoms: bool) -> list[str]:
    return [flag for kind, flag in QUEUED_FLAGS.items() if {"labs": labs, "symptoms": symptoms}[kind]]
