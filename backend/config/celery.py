"""The Celery application: `celery -A backend.config worker` / `celery -A backend.config beat`."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.config.settings")

app = Celery("careloop")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Celery's Django fixup closes the DB connection around every task unless told to reuse it;
# reuse made grading 3.5x faster here (../shared/performance.md).
app.conf.CELERY_DB_REUSE_MAX = int(os.environ.get("CELERY_DB_REUSE_MAX", "1000"))
# Celery's consumer, except that a Redis restart while a task is in flight no longer kills the
# worker (backend/config/worker_consumer.py). A string: only workers import it.
app.conf.worker_consumer = "backend.config.worker_consumer:Consumer"
app.autodiscover_tasks()
