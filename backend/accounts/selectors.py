"""Reads about accounts: the devices a person is signed in on, a clinic's staff, failed sign-ins."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from axes.models import AccessAttempt
from django.db.models import F, QuerySet, Sum

from backend.accounts.models import STAFF_ROLES, Clinic, DeviceToken, Role, User


def sessions_of(user: User) -> QuerySet[DeviceToken]:
    """The devices `user` is signed in on (unrevoked tokens), most recently used first."""
    return DeviceToken.objects.filter(user=user, revoked_at__isnull=True).order_by(
        F("last_used_at").desc(nulls_last=True), "-created_at"
    )


def clinic_staff(clinic: Clinic) -> QuerySet[User]:
    """The clinic's nurses and admins, active first, then by username."""
    return User.objects.filter(clinic=clinic, role__in=STAFF_ROLES).order_by("-is_active", "username")


def clinic_caregivers_failing(clinic: Clinic, *, since: datetime) -> QuerySet[User]:
    """The clinic's caregivers with a failed sign-in since `since` (the lockout's cool-off)."""
    failing = AccessAttempt.objects.filter(attempt_time__gte=since).values("username")
    return User.objects.filter(clinic=clinic, role=Role.CAREGIVER, username__in=failing).order_by("username")


def failed_sign_ins(*, usernames: Iterable[str], since: datetime) -> dict[str, int]:
    """Failed sign-ins since `since` per username, counted as django-axes counts them (per address,
    AXES_LOCKOUT_PARAMETERS): the highest count of any one address. Usernames without any are absent."""
    counts: dict[str, int] = {}
    rows = (
        AccessAttempt.objects.filter(username__in=list(usernames), attempt_time__gte=since)
        .values("username", "ip_address")
        .annotate(failures=Sum("failures_since_start"))
    )
    for row in rows:
        counts[row["username"]] = max(counts.get(row["username"], 0), row["failures"] or 0)
    return counts
