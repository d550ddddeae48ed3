"""Celery interfaces to reminders: named, idempotent, acknowledged late, bounded retries."""

from __future__ import annotations

import logging
import time
from typing import Any

from celery import shared_task

from backend.reminders import caregiver_summary, cycle_labs
from backend.reminders.dispatch import reminders_dispatch_due
from backend.reminders.materialise import reminders_materialise
from backend.reminders.missed_doses import missed_doses_notify

logger = logging.getLogger(__name__)

#: One run stops claiming new batches after this long (well under CELERY_TASK_SOFT_TIME_LIMIT) and
#: hands the rest of a backlog to the next run.
DISPATCH_BUDGET_SECONDS = 20.0

# Every reminder task: idempotent, so acknowledged late and retried a bounded number of times.
_RETRYING: dict[str, Any] = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "ignore_result": True,
    "autoretry_for": (Exception,),
    "max_retries": 3,
    "retry_backoff": True,
    "retry_backoff_max": 60,
}


@shared_task(
    name="careloop.reminders.tick",
    **_RETRYING,
)
def tick(**_: Any) -> int:
    """Beat, every CARELOOP_REMINDERS_EVERY_SECONDS: make the coming reminders, then send the due."""
    made = reminders_materialise()
    if made:
        logger.info("reminders: %d made", made)
    return _dispatch()


@shared_task(
    name="careloop.reminders.dispatch_due",
    **_RETRYING,
)
def dispatch_due(**_: Any) -> int:
    return _dispatch()


def _dispatch() -> int:
    """Batches until none is due or the budget is spent. The first full batch enqueues one helper,
    so a backlog is shared by every idle worker (each claims with SKIP LOCKED)."""
    from backend.notifications.tasks import send_due

    deadline = time.monotonic() + DISPATCH_BUDGET_SECONDS
    sent = skipped = 0
    helper = False
    while True:
        outcome = reminders_dispatch_due()
        sent += outcome.sent
        skipped += outcome.skipped
        if outcome.sent:
            send_due.delay()  # the outside channels; the beat's send_due sweeps if this is lost
        if not outcome.full:
            break
        if not helper:
            dispatch_due.delay()
            helper = True
        if time.monotonic() > deadline:
            dispatch_due.delay()
            break
    if sent or skipped:
        logger.info("reminders: %d sent, %d skipped as too late", sent, skipped)
    return sent


@shared_task(
    name="careloop.reminders.missed_doses",
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    autoretry_for=(Exception,),
    max_retries=3,
    retry_backoff=True,
)
def missed_doses(**_: Any) -> int:
    """Beat, every CARELOOP_MISSED_DOSE_EVERY_SECONDS: nudge about yesterday's unlogged ixazomib."""
    from backend.notifications.tasks import send_due

    sent = missed_doses_notify()
    if sent:
        logger.info("reminders: %d missed-dose nudges", sent)
        send_due.delay()
    return sent


# Named for the caregivers it serves, as before it moved here: a beat or a queued message from an
# older release still finds it, and the "careloop.caregivers.*" route keeps it on the notify queue.
@shared_task(name="careloop.caregivers.daily_summaries", acks_late=True, ignore_result=True, max_retries=0)
def daily_summaries(**_: Any) -> int:
    from backend.notifications.tasks import send_due

    sent = caregiver_summary.daily_summaries_send()
    if sent:
        send_due.delay()
    return sent


@shared_task(name="careloop.reminders.cycle_labs", **_RETRYING)
def cycle_labs_missing(**_: Any) -> int:
    """Beat, every CARELOOP_CYCLE_LABS_EVERY_SECONDS: counts missing within 3 days of a day 1 raise a
    task for the nurse and remind the patient, once per patient and cycle."""
    from backend.alerts.tasks import announce_alerts
    from backend.notifications.tasks import send_due

    outcome = cycle_labs.cycle_labs_check()
    if outcome.alerts_raised:
        announce_alerts.delay(alert_ids=[str(i) for i in outcome.alerts_raised])
    if outcome.reminders_sent:
        send_due.delay()
    return outcome.reminders_sent
