"""Signing in to the dashboard in two steps: the password, then a second factor.

Nobody is signed in (Django's `login`) until both steps pass. Between them the session holds only
"this person gave the right password, at this time, and has this step left" (`verify`: a code or
a passkey; `enroll`: the clinic requires a factor the person has not set up yet), so a person half
way in reaches nothing but these steps: every other page, the API's session authentication and
the Django admin still see an anonymous visitor.

A wrong code counts toward django-axes' lockout for the username and address, as a wrong password
does (5 in 15 minutes on the dashboard, backend.dashboard.lockout).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from axes.handlers.proxy import AxesProxyHandler
from django.contrib.auth import login
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest

from backend.accounts.models import STAFF_ROLES, User
from backend.dashboard import pending as kept_forms

PENDING_KEY = "careloop_signin_step"
# When this session last passed a second factor (Unix seconds): set at sign-in with a factor and when
# a factor is set up or confirmed again. Its presence is what "signed in with a second factor" means.
SECOND_FACTOR_AT_KEY = "careloop_second_factor_at"
VERIFY, ENROLL = "verify", "enroll"
PASSKEY_THEN_KEY = "careloop_passkey_then"  # where a person signed in by registering a passkey was going
# The password step counts for this long; after it the password is asked again.
PENDING_SECONDS = 10 * 60
# Removing a factor or making new recovery codes needs a second factor this recent.
FRESH_SECONDS = 5 * 60
BACKEND = "backend.accounts.backends.ClinicUserBackend"


@dataclass(frozen=True)
class Pending:
    user: User
    step: str
    next: str


def pending_start(request: HttpRequest, *, user: User, step: str, next_url: str) -> None:
    request.session[PENDING_KEY] = {"user": user.pk, "step": step, "next": next_url, "at": int(time.time())}


def pending(request: HttpRequest, step: str | None = None) -> Pending | None:
    """The person half way in, if the password step is recent and the account still may sign in."""
    state = request.session.get(PENDING_KEY)
    if not isinstance(state, dict) or (step is not None and state.get("step") != step):
        return None
    if time.time() - float(state.get("at", 0)) > PENDING_SECONDS:
        request.session.pop(PENDING_KEY, None)
        return None
    user = User.objects.select_related("clinic").filter(pk=state.get("user"), is_active=True).first()
    if user is None or user.role not in STAFF_ROLES:
        return None
    # A form kept while signed out (even one posted from another tab during these steps) leads.
    next_url = kept_forms.after_sign_in(request, str(state.get("next") or "/"))
    return Pending(user=user, step=str(state.get("step")), next=next_url)


def pending_end(request: HttpRequest) -> None:
    request.session.pop(PENDING_KEY, None)


def sign_in_complete(request: HttpRequest, user: User, *, second_factor: bool) -> None:
    """Sign `user` in (a new session key, axes' failure count cleared, last_login set)."""
    pending_end(request)
    login(request, user, backend=BACKEND)
    if second_factor:
        second_factor_passed(request)


def second_factor_passed(request: HttpRequest) -> None:
    request.session[SECOND_FACTOR_AT_KEY] = int(time.time())


def signed_in_with_second_factor(request: HttpRequest) -> bool:
    return SECOND_FACTOR_AT_KEY in request.session


def second_factor_fresh(request: HttpRequest) -> bool:
    return time.time() - float(request.session.get(SECOND_FACTOR_AT_KEY, 0)) <= FRESH_SECONDS


def _credentials(user: User) -> dict[str, str]:
    return {"username": user.get_username()}


def locked_out(request: HttpRequest, user: User) -> bool:
    return not AxesProxyHandler.is_allowed(request, _credentials(user))


def failure_record(request: HttpRequest, user: User) -> bool:
    """Count a wrong second factor toward the lockout, as a wrong password; True once it locks.
    AxesMiddleware then answers with the locked-out sign-in page, and the password step is over."""
    user_login_failed.send(sender=User, credentials=_credentials(user), request=request)
    if getattr(request, "axes_locked_out", False):
        pending_end(request)
        return True
    return False
