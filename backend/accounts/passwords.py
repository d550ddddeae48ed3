"""Password rules beyond Django's own validators (AUTH_PASSWORD_VALIDATORS in settings)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import ngettext

from backend.accounts.models import STAFF_ROLES


class RoleMinimumLengthValidator:
    """At least `staff` characters for a nurse or clinic admin (they see every patient of a clinic),
    `default` for anyone else (caregivers). A user without a role yet counts as staff."""

    def __init__(self, default: int = 8, staff: int = 12) -> None:
        self.default, self.staff = default, staff

    def _minimum(self, user: Any) -> int:
        role = getattr(user, "role", None) if user is not None else None
        return self.staff if role in STAFF_ROLES or role is None else self.default

    def validate(self, password: str, user: Any = None) -> None:
        minimum = self._minimum(user)
        if len(password) < minimum:
            raise ValidationError(
                ngettext(
                    "This password is too short. It must contain at least %(min_length)d character.",
                    "This password is too short. It must contain at least %(min_length)d characters.",
                    minimum,
                ),
                code="password_too_short",
                params={"min_length": minimum},
            )

    def get_help_text(self) -> str:
        return f"At least {self.staff} characters for staff, {self.default} for caregivers."
