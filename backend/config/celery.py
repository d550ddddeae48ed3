"""The Celery application: `celery -A backend.config worker` / `celery -A backend.config beat`."""

from __future__ import annotations

import os
from typing import Any

from celery import Celery, signals
from django.db import close_old_connections

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.config.settings")

app = Celery("careloop")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Celery's Django fixup closes the DB connection around every task unless told to reuse it;
# reuse made grading 3.5x faster here (../shared/performance.md).
app.conf.CELERY_DB_REUSE_MAX = int(os.environ.get("CELERY_DB_REUSE_MAX", "1000"))
# Celery's consumer, except that a Redis restart while a task is in flight no longer kills the
# worker, and it reconnects every 0.5-2 s (backend/config/worker_consumer.py). A string: only
# workers import it.
app.conf.worker_consumer = "backend.config.worker_consumer:Consumer"
app.autodiscover_tasks()
# The heartbeat task and beat's scheduler live beside the /healthz view, outside any app.
app.conf.imports = ["backend.config.health"]


@signals.task_prerun.connect
@signals.task_postrun.connect
def _database_connections_checked(sender: Any = None, **_: Any) -> None:
    """A worker survives a dropped database connection (a PostgreSQL restart or failover, an idle
    connection cut by a proxy). Django checks connections only around HTTP requests
    (close_old_connections on request_started/finished); with connection reuse, Celery's Django
    fixup (celery/fixups/django.py, DjangoWorkerFixup.close_database) closes them only every
    CELERY_DB_REUSE_MAX tasks and never tests them, so one dead connection failed every later task.
    Doing Django's request-boundary check at task boundaries gives each task what a request gets:
    with CONN_HEALTH_CHECKS its first query finds a connection that died while the worker was
    idle and opens a new one, and a connection that failed mid-task is dropped when the task ends
    (the task is retried, or beat runs it again on its next tick). Eager calls (tests, inside a
    transaction) are left alone, as the fixup does."""
    if sender is not None and getattr(sender.request, "is_eager", False):
        return
    close_old_connections()
