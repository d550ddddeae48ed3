"""Celery interfaces to delivery: safe to run twice, and run by beat as a sweeper too."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from backend.notifications import services


@shared_task(name="careloop.notifications.send_due", acks_late=True, ignore_result=True, max_retries=0)
def send_due(**_: Any) -> int:
    return services.deliveries_send_due()


@shared_task(name="careloop.notifications.reap_stale", acks_late=True, ignore_result=True, max_retries=0)
def reap_stale(**_: Any) -> int:
    return services.deliveries_reap_stale()
