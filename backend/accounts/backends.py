"""Django's password backend, reading a signed-in person's clinic in the same query as the person."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend

from backend.accounts.models import User


class ClinicUserBackend(ModelBackend):
    """Every dashboard request checks the clinic's second-factor rule (backend.dashboard.access):
    joining the clinic to the session's user lookup keeps that check free of a query of its own."""

    def get_user(self, user_id: Any) -> User | None:
        user = User.objects.select_related("clinic").filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None
