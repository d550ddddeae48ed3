"""WSGI entry point for gunicorn: `gunicorn backend.config.wsgi:application`."""

import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

from backend.config.warmup import web_worker_warm

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.config.settings")
application = get_wsgi_application()

# What is loaded now lives as long as the worker: the URLconf, and with it every view, is imported
# here rather than on the first request, and then the collector is told to leave all of it alone
# (gc.freeze). A full collection then walks only what requests made. Without it, a long read (a
# two-year FHIR `$everything` makes ~30,000 containers) sets off a full collection every few
# requests, a pause proportional to the ~200,000 objects Django and the apps load (bench 8).
get_resolver().url_patterns  # noqa: B018 - evaluated for its imports
web_worker_warm()
gc.collect()
gc.freeze()
