"""`python manage.py fhir_credential create|list|revoke --admin USERNAME ...`: a clinic admin's
integration credentials for FHIR (backend.fhir.credentials). `create --name "Lab system"` prints
the token once."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from backend.accounts.models import User
from backend.core.errors import ApplicationError
from backend.fhir.credentials import credential_create, credential_revoke, credentials_of


class Command(BaseCommand):
    help = "Create, list or revoke a clinic's FHIR integration credentials (as one of its admins)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["create", "list", "revoke"])
        parser.add_argument("--admin", required=True, help="username of a clinic admin")
        parser.add_argument("--name", help="create: what the credential is for, e.g. 'Riverside lab system'")
        parser.add_argument("--id", dest="credential_id", help="revoke: the credential's id")

    def handle(self, *args: Any, **options: Any) -> None:
        admin = User.objects.filter(username=options["admin"]).first()
        if admin is None:
            raise CommandError(f"No user {options['admin']!r}.")
        try:
            if options["action"] == "create":
                credential, token = credential_create(admin=admin, name=options["name"] or "")
                self.stdout.write(f"Created {credential.pk} ({credential.name}) for {admin.clinic}.")
                self.stdout.write(f"Token (shown once): {token}")
            elif options["action"] == "list":
                for c in credentials_of(admin):
                    state = f"revoked {c.revoked_at:%Y-%m-%d %H:%M}" if c.revoked_at else "active"
                    used = f"last used {c.last_used_at:%Y-%m-%d %H:%M}" if c.last_used_at else "never used"
                    self.stdout.write(f"{c.pk}  {c.name}  {state}, {used}")
            else:
                credential = credential_revoke(admin=admin, credential_id=options["credential_id"] or "")
                self.stdout.write(f"Revoked {credential.pk} ({credential.name}).")
        except ApplicationError as exc:
            raise CommandError(str(exc)) from exc
