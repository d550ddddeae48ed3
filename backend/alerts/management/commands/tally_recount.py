"""`python manage.py tally_recount`: rebuild the queue header's tally (backend.alerts.tally) from the
alerts, after writes that bypassed its triggers. Nothing to do on SQLite, which counts directly."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from backend.alerts.tally import tally_kept, tally_recount


class Command(BaseCommand):
    help = "Rebuild the per-clinic tally of unresolved alerts from the alerts themselves (PostgreSQL)."

    def handle(self, *args: Any, **options: Any) -> None:
        tally_recount()
        self.stdout.write("tally rebuilt from the alerts" if tally_kept() else "SQLite: no tally to rebuild")
