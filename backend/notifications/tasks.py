"""Celery interfaces to delivery: safe to run twice, and run by beat as a sweeper too."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from backend.notifications import services


@shared_task(name="careloop.notifications.send_due", acks_late=True, ignore_result=True, max_retries=0)
def send_due(**_: Any) -> int:
    run = services.deliveries_send_run()
    if run.more:
        send_due.delay()  # the rest right away, not at beat's next tick
    return run.sent


@shared_task(name="careloop.notifications.reap_stale", acks_late=True, ignore_result=True, max_retries=0)
def reap_stale(**_: Any) -> int:
    """Kept for messages queued by an older beat; every send_due run now reaps first."""
    return services.deliveries_reap_stale()
