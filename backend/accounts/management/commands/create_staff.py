"""`python manage.py create_staff --username U --password P --role nurse [--clinic NAME]` (contract §1)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from backend.accounts.services import staff_create
from backend.core.errors import ApplicationError


class Command(BaseCommand):
    help = "Create a nurse or clinic admin in a clinic (created if missing); idempotent per username."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", required=True)
        parser.add_argument("--password", required=True)
        parser.add_argument("--role", choices=["nurse", "admin"], default="nurse")
        parser.add_argument("--clinic", default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            user, created = staff_create(
                username=options["username"],
                password=options["password"],
                role=options["role"],
                clinic_name=options["clinic"],
            )
        except ApplicationError as exc:
            raise CommandError(str(exc)) from exc
        verb = "Created" if created else "Already existed:"
        self.stdout.write(f"{verb} {user.role} {user.username} in {user.clinic}")
