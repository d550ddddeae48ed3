"""Celery interface to caregiver notices: safe to run any number of times."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from backend.caregivers import services


@shared_task(name="careloop.caregivers.daily_summaries", acks_late=True, ignore_result=True, max_retries=0)
def daily_summaries(**_: Any) -> int:
    from backend.notifications.tasks import send_due

    sent = services.daily_summaries_send()
    if sent:
        send_due.delay()
    return sent
