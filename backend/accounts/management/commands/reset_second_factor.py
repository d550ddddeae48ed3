"""`python manage.py reset_second_factor --username U`: a staff member lost both the second factor and
the recovery codes; after checking who they are in person, an engineer removes them all."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from backend.accounts.models import User
from backend.accounts.second_factor import second_factors_reset
from backend.accounts.services import tokens_revoke_all


class Command(BaseCommand):
    help = "Remove a person's authenticator app, passkeys and recovery codes, and sign their API tokens out."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"No user {options['username']!r}.")
        removed = second_factors_reset(user=user)
        signed_out = tokens_revoke_all(user=user)
        self.stdout.write(f"{user.username}: {removed} second-factor records removed, {signed_out} tokens signed out")
