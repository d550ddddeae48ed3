"""Django project configuration; importing it makes the Celery app available to `celery -A backend.config`."""

from backend.config.celery import app as celery_app

__all__ = ["celery_app"]
