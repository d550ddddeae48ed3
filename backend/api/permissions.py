"""Role checks for API views; object scope lives in the selectors (`*_visible_to`)."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from backend.accounts.models import Role


class _HasRole(BasePermission):
    roles: tuple[str, ...] = ()
    message = "Your account cannot do this."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and getattr(user, "role", None) in self.roles)


class IsClinicStaff(_HasRole):
    roles = (Role.NURSE, Role.ADMIN)


class IsPatient(_HasRole):
    roles = (Role.PATIENT,)


class IsClinicStaffOrPatient(_HasRole):
    roles = (Role.NURSE, Role.ADMIN, Role.PATIENT, Role.CAREGIVER)
