"""Staff accounts and device tokens."""

from __future__ import annotations

import secrets
from datetime import datetime

from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth import SESSION_KEY, authenticate
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from backend.accounts.models import Clinic, DeviceToken, Role, User, hash_token
from backend.accounts.second_factor import WAIT, code_verify, has_second_factor, second_factor_required
from backend.core.errors import ApplicationError, NotFound

INVALID_CREDENTIALS = "Wrong username or password."
USERNAME_TAKEN = "That username is taken. Choose another."
STAFF_ROLE_ONLY = "Must be nurse or admin."
LOCKED_OUT = (
    "Too many failed sign-ins for this username from this address. Wait 15 minutes and try again, "
    "or ask your clinic admin to unlock it."
)
OTP_NEEDED = "This account has a second factor: send `otp`, a code from the authenticator app or a recovery code."
OTP_WRONG = "That code did not work."
OTP_SET_UP_FIRST = (
    "Your clinic requires a second factor: set one up in the dashboard (Security) first, then sign in with `otp`."
)


@transaction.atomic
def staff_create(*, username: str, password: str, role: str, clinic_name: str | None = None) -> tuple[User, bool]:
    """Create a nurse or clinic admin; calling it again for the same username changes nothing
    but the password and returns `created=False`. A password the validators refuse stores nothing."""
    if role not in (Role.NURSE, Role.ADMIN):
        raise ApplicationError({"role": [STAFF_ROLE_ONLY]})
    clinic, _ = Clinic.objects.get_or_create(name=clinic_name or "CareLoop Clinic")
    # No is_staff: the Django admin is for superusers (engineers), clinic admins use the dashboard.
    user, created = User.objects.get_or_create(username=username, defaults={"role": role, "clinic": clinic})
    if created or not user.check_password(password):
        # The rules the API applies to every new password (AUTH_PASSWORD_VALIDATORS); the same
        # password again changes nothing and is not judged, so re-running stays idempotent.
        try:
            validate_password(password, user=user)
        except ValidationError as exc:
            raise ApplicationError({"password": list(exc.messages)}) from exc
        user.set_password(password)
        user.save(update_fields=["password"])
    return user, created


def token_issue(*, user: User, device_name: str = "") -> str:
    """A new Bearer token for one device; only its digest is stored."""
    raw = secrets.token_urlsafe(32)
    DeviceToken.objects.create(
        key_hash=hash_token(raw), user=user, device_name=device_name[:100], last_used_at=timezone.now()
    )
    return raw


def token_login(
    *,
    username: object,
    password: object,
    device_name: str = "",
    request: HttpRequest | None = None,
    otp: object = None,
) -> tuple[str, User]:
    """A token for staff or a caregiver. With the request, failures count towards django-axes'
    lockout (backend.dashboard.lockout.failure_limit), as sign-ins to the dashboard do: the API
    must not be the way around it. A locked-out sign-in is 429, even with the right password.

    Staff with a second factor also send `otp` (an authenticator code or a recovery code; a passkey
    needs a browser); a wrong one counts toward the lockout like a wrong password. Where the clinic
    requires a second factor, staff without one get no token (403) until they set one up."""
    errors: dict[str, list[str]] = {}
    if not isinstance(username, str) or not username.strip():
        errors["username"] = ["This field is required."]
    if not isinstance(password, str) or not password:
        errors["password"] = ["This field is required."]
    if errors:
        raise ApplicationError(errors)
    assert isinstance(username, str) and isinstance(password, str)
    user = authenticate(request, username=username.strip(), password=password)
    _refuse_if_locked_out(request)
    if not isinstance(user, User) or user.role == Role.PATIENT:
        raise ApplicationError({"non_field_errors": [INVALID_CREDENTIALS]})
    if user.is_clinic_staff:
        _second_factor_check(user=user, otp=otp, request=request)
    if request is not None:  # a sign-in: clears axes' failure count and sets last_login
        user_logged_in.send(sender=User, request=request, user=user)
    return token_issue(user=user, device_name=device_name), user


def _refuse_if_locked_out(request: HttpRequest | None) -> None:
    if getattr(request, "axes_locked_out", False):
        cooloff = int(settings.AXES_COOLOFF_TIME.total_seconds())
        raise ApplicationError({"non_field_errors": [LOCKED_OUT]}, status=429, headers={"Retry-After": str(cooloff)})


def _second_factor_check(*, user: User, otp: object, request: HttpRequest | None) -> None:
    if not has_second_factor(user):
        if second_factor_required(user):
            raise ApplicationError({"otp": [OTP_SET_UP_FIRST]}, status=403)
        return
    if otp is None or otp == "":
        raise ApplicationError({"otp": [OTP_NEEDED]})
    check = code_verify(user=user, code=otp)
    if check.ok:
        return
    if request is not None:  # as a wrong password would: toward this username and address's lockout
        user_login_failed.send(sender=User, credentials={"username": user.get_username()}, request=request)
        _refuse_if_locked_out(request)
    if check.throttled:
        raise ApplicationError({"otp": [WAIT]}, status=429, headers={"Retry-After": str(check.retry_after)})
    raise ApplicationError({"otp": [OTP_WRONG]})


def token_revoke(*, token: DeviceToken) -> None:
    DeviceToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())


def tokens_revoke_all(*, user: User, now: datetime | None = None) -> int:
    """Sign every device of `user` out; how many were still signed in."""
    return DeviceToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=now or timezone.now())


def session_revoke(*, user: User, session_id: int) -> DeviceToken:
    """Sign one of one's own devices out (idempotent); another person's is not found."""
    token = DeviceToken.objects.filter(user=user, pk=session_id).first()
    if token is None:
        raise NotFound()
    token_revoke(token=token)
    token.refresh_from_db(fields=["revoked_at"])
    return token


def staff_add(
    *, clinic: Clinic, username: str, password: str, role: str, first_name: str = "", last_name: str = ""
) -> User:
    """A new nurse or clinic admin of `clinic`, under the password rules `create_staff` and the API
    apply (AUTH_PASSWORD_VALIDATORS: 12 characters for staff, not like the username or name, not
    common, not only digits). Unlike `staff_create` it never touches an existing account: a taken
    username (in any clinic, in any letter case) is refused, and nothing is stored on a refusal."""
    errors: dict[str, list[str]] = {}
    username = username.strip()
    if role not in (Role.NURSE, Role.ADMIN):
        errors["role"] = [STAFF_ROLE_ONLY]
    try:
        User.username_validator(username)
    except ValidationError as exc:
        errors["username"] = list(exc.messages)
    if not username or len(username) > 150:
        errors["username"] = ["Between 1 and 150 characters."]
    elif User.objects.filter(username__iexact=username).exists():
        errors["username"] = [USERNAME_TAKEN]
    candidate = User(username=username, role=role, clinic=clinic, first_name=first_name, last_name=last_name)
    try:
        validate_password(password, user=candidate)
    except ValidationError as exc:
        errors["password"] = list(exc.messages)
    if errors:
        raise ApplicationError(errors)
    candidate.set_password(password)
    try:
        with transaction.atomic():
            candidate.save(force_insert=True)
    except IntegrityError as exc:  # taken a moment ago
        raise ApplicationError({"username": [USERNAME_TAKEN]}) from exc
    return candidate


def sessions_end(*, user: User) -> int:
    """Sign `user` out of every browser (dashboard and admin sessions); how many were open.
    Sessions last 30 idle minutes (SESSION_COOKIE_AGE), so the unexpired ones are few to read."""
    ended = [
        s.pk
        for s in Session.objects.filter(expire_date__gt=timezone.now()).iterator()
        if s.get_decoded().get(SESSION_KEY) == str(user.pk)
    ]
    Session.objects.filter(pk__in=ended).delete()
    return len(ended)


@transaction.atomic
def user_deactivate(*, user: User, now: datetime | None = None) -> bool:
    """No more sign-ins, and out of every device and browser now (an inactive account's tokens and
    sessions stop working at once anyway; revoking them also keeps a later reactivation from bringing
    them back). False if it was already inactive."""
    changed = User.objects.filter(pk=user.pk, is_active=True).update(is_active=False)
    tokens_revoke_all(user=user, now=now)
    sessions_end(user=user)
    user.is_active = False
    return bool(changed)


def user_reactivate(*, user: User) -> bool:
    """Signs in again with the same password, on new devices and sessions only. False if active."""
    changed = User.objects.filter(pk=user.pk, is_active=False).update(is_active=True)
    user.is_active = True
    return bool(changed)


def sign_in_unlock(*, username: str) -> int:
    """End django-axes' lockout of `username` from every address (its failure counts are removed);
    how many counted addresses there were."""
    return int(axes_reset(username=username))


def user_language_set(*, user: User, language: str) -> None:
    """The person's own language ("" for none chosen): the dashboard's, their phone's and their
    messages' (backend.accounts.language, backend.notifications.texts)."""
    if language and language not in {code for code, _ in settings.LANGUAGES}:
        raise ApplicationError({"language": [f"Must be one of: {', '.join(c for c, _ in settings.LANGUAGES)}."]})
    if user.language != language:
        user.language = language
        user.save(update_fields=["language"])
