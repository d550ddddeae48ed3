"""A clinic admin's staff page: who works here, who is locked out, and the four things an admin
does about it (add a nurse or admin, deactivate, reactivate, unlock). Every write is audited and
scoped to the admin's own clinic: another clinic's account is the same 404 as none."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db.models import Q

from backend.accounts import second_factor, selectors, services
from backend.accounts.models import Role, User
from backend.audit.services import audit_record
from backend.core.errors import ApplicationError, NotFound
from backend.dashboard.lockout import DASHBOARD_FAILURE_LIMIT

NOT_YOURSELF = "You cannot deactivate your own account: ask another admin of your clinic."
ENGINEER_ACCOUNT = "This is an engineering (superuser) account: CareLoop's engineers manage it."
OWN_FACTORS = "Your own second factors are on your Security page."


@dataclass(frozen=True)
class StaffRow:
    user: User
    failures: int  # failed sign-ins within the lockout's cool-off, the most from any one address
    second_factor: bool = False  # has an authenticator app or a passkey

    @property
    def locked_out(self) -> bool:
        return self.failures >= DASHBOARD_FAILURE_LIMIT


@dataclass(frozen=True)
class StaffPage:
    staff: list[StaffRow]
    # Caregivers of the clinic's patients with failed sign-ins: an admin unlocks them too.
    caregivers: list[StaffRow]


def staff_page(*, admin: User, now: datetime) -> StaffPage:
    """Five queries: the staff, the caregivers with failed sign-ins, the failures, and who of the
    staff has an authenticator app or a passkey (one query each)."""
    assert admin.clinic is not None
    since = now - settings.AXES_COOLOFF_TIME
    staff = list(selectors.clinic_staff(admin.clinic))
    caregivers = list(selectors.clinic_caregivers_failing(admin.clinic, since=since))
    failures = selectors.failed_sign_ins(usernames=[u.username for u in staff + caregivers], since=since)
    with_factor = second_factor.users_with_second_factor([u.pk for u in staff])
    return StaffPage(
        staff=[StaffRow(u, failures.get(u.username, 0), u.pk in with_factor) for u in staff],
        caregivers=[StaffRow(u, failures.get(u.username, 0)) for u in caregivers],
    )


def _member(admin: User, user_id: int, *, staff_only: bool = True) -> User:
    """One of the admin's clinic's accounts (staff, or any but patients when not `staff_only`)."""
    roles = [Role.NURSE, Role.ADMIN] if staff_only else [Role.NURSE, Role.ADMIN, Role.CAREGIVER]
    user = User.objects.filter(Q(clinic_id=admin.clinic_id) & Q(role__in=roles), pk=user_id).first()
    if user is None or admin.clinic_id is None:
        raise NotFound("Not found, or not one of your clinic's accounts.")
    return user


def _audit(admin: User, action: str, user: User, detail: str) -> None:
    audit_record(actor=admin, action=action, resource="user", patient_ids=[None], object_id=str(user.pk), detail=detail)


def staff_member_add(
    *, admin: User, username: str, password: str, role: str, first_name: str = "", last_name: str = ""
) -> User:
    """A new nurse or admin in the admin's own clinic (accounts.services.staff_add's rules)."""
    assert admin.clinic is not None
    user = services.staff_add(
        clinic=admin.clinic,
        username=username,
        password=password,
        role=role,
        first_name=first_name,
        last_name=last_name,
    )
    _audit(admin, "create", user, f"staff account added: {user.username} ({user.role})")
    return user


def staff_member_deactivate(*, admin: User, user_id: int, now: datetime | None = None) -> User:
    """Deactivate a colleague: their tokens and sessions end now. Never oneself (a clinic must not
    lock its last admin out by a slip), never an engineer's superuser account."""
    user = _member(admin, user_id)
    if user.pk == admin.pk:
        raise ApplicationError({"user": [NOT_YOURSELF]}, status=409)
    if user.is_superuser:
        raise ApplicationError({"user": [ENGINEER_ACCOUNT]}, status=409)
    if services.user_deactivate(user=user, now=now):
        _audit(admin, "update", user, f"staff account deactivated: {user.username}; signed out everywhere")
    return user


def staff_member_reactivate(*, admin: User, user_id: int) -> User:
    user = _member(admin, user_id)
    if user.is_superuser:
        raise ApplicationError({"user": [ENGINEER_ACCOUNT]}, status=409)
    if services.user_reactivate(user=user):
        _audit(admin, "update", user, f"staff account reactivated: {user.username}")
    return user


def sign_in_unlock(*, admin: User, user_id: int) -> tuple[User, int]:
    """Lift the sign-in lockout of a nurse, admin or caregiver of the clinic, from every address;
    returns the account and how many addresses had counted failures (0: nothing to lift)."""
    user = _member(admin, user_id, staff_only=False)
    lifted = services.sign_in_unlock(username=user.username)
    if lifted:
        _audit(admin, "update", user, f"sign-in unlocked: {user.username}")
    return user, lifted


def second_factor_reset(*, admin: User, user_id: int) -> tuple[User, int]:
    """A colleague lost their phone or passkey and their recovery codes: remove every factor, and
    sign their API tokens out. They sign in next with the password, then set a factor up again if
    the clinic requires one. Never one's own (the Security page, with a factor), never an engineer's.
    Returns the account and how many factors went (0: nothing to reset, nothing recorded)."""
    user = _member(admin, user_id)
    if user.pk == admin.pk:
        raise ApplicationError({"user": [OWN_FACTORS]}, status=409)
    if user.is_superuser:
        raise ApplicationError({"user": [ENGINEER_ACCOUNT]}, status=409)
    removed = second_factor.second_factors_reset(user=user)
    if removed:
        services.tokens_revoke_all(user=user)
        _audit(admin, "update", user, f"second factor reset: {user.username}; API tokens signed out")
    return user, removed
