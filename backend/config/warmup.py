"""What a web worker would otherwise load on its first request, loaded as it starts (wsgi.py).

A cold gunicorn worker's first sync imported 34 modules (Celery's message protocol and router,
kombu's Redis transport, every tasks module, the session and messages storages, the cache
backend): ≈ 140 ms more than the next sync, paid by the first patient after every start or deploy,
on each worker. Imports only: no connection is opened here (the database and Redis connect on
first use, as before), so a worker still starts while either is down."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import caches
from django.db import connection
from django.utils.module_loading import import_string


def web_worker_warm() -> None:
    from backend.config.celery import app

    connection.ops.compiler("SQLCompiler")  # the ORM's compilers (SQLite's backend loads them late)
    import_string(settings.MESSAGE_STORAGE)
    import_string(settings.SESSION_SERIALIZER)
    caches["default"]  # its backend's module; no connection yet
    app.loader.import_default_modules()  # the tasks a view's .delay() names
    app.finalize(auto=True)  # their classes made (a task is a proxy until then)
    app.amqp.router  # noqa: B018 - the message protocol and routes
    app.events.Dispatcher  # noqa: B018 - a sent task's event dispatcher
    app.backend  # noqa: B018 - the (disabled) result backend
    app.producer_pool  # noqa: B018 - its connections are made on first use, as before
    app.connection_for_write().transport  # noqa: B018 - the broker's transport class, not connected
