"""Passkey ceremonies (WebAuthn) for the dashboard, on django-otp-webauthn's views.

Its own URLs are not mounted: they would sign a person in with a passkey alone, or use
`request.user`, which is anonymous until both sign-in steps pass (backend.dashboard.signin_steps).
These subclasses name the person instead: the one half way in (after the password), or the
signed-in staff member (setting up a passkey, or confirming again before a change). The browser
side is the library's static scripts, run from the pages' <script src>, never inline."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse, JsonResponse
from django.views.i18n import JavaScriptCatalog
from django_otp_webauthn import exceptions
from django_otp_webauthn.utils import rewrite_exceptions
from django_otp_webauthn.views import (
    BeginCredentialAuthenticationView,
    BeginCredentialRegistrationView,
    CompleteCredentialAuthenticationView,
    CompleteCredentialRegistrationView,
    _get_pywebauthn_logger,
)

from backend.accounts import second_factor
from backend.accounts.models import User
from backend.audit.services import audit_record
from backend.dashboard.signin_steps import (
    ENROLL,
    PASSKEY_THEN_KEY,
    VERIFY,
    failure_record,
    locked_out,
    pending,
    second_factor_passed,
    sign_in_complete,
    signed_in_with_second_factor,
)


class LockedOut(exceptions.OTPWebAuthnApiError):
    status_code = 429
    default_detail = "Too many failed sign-ins: wait 15 minutes and try again."
    default_code = "locked_out"


def _staff(request: Any) -> User | None:
    user = request.user
    if isinstance(user, User) and user.is_authenticated and user.is_clinic_staff:
        return User.objects.select_related("clinic").get(pk=user.pk)
    return None


# --- Signing in (or confirming again) with a passkey ---------------------------------------------


class _SignInCeremony:
    request: Any

    def get_user(self) -> User | None:
        half_way = pending(self.request, VERIFY)
        return half_way.user if half_way else _staff(self.request)


class PasskeySignInBegin(_SignInCeremony, BeginCredentialAuthenticationView):
    pass


class PasskeySignInComplete(_SignInCeremony, CompleteCredentialAuthenticationView):
    """Checks the browser's signature with the person's own passkeys only (the library refuses a
    passkey of someone else); a failure counts toward the lockout, like a wrong code."""

    def initial(self, request: Any, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        half_way = pending(request, VERIFY)
        if half_way is not None and locked_out(request, half_way.user):
            raise LockedOut()

    def handle_exception(self, exc: Exception) -> HttpResponse:
        half_way = pending(self.request, VERIFY)
        if isinstance(exc, exceptions.OTPWebAuthnApiError) and not isinstance(exc, LockedOut) and half_way:
            failure_record(self.request, half_way.user)
        return super().handle_exception(exc)  # type: ignore[no-any-return]

    def complete_auth(self, device: Any) -> None:
        self._next = "/"
        half_way = pending(self.request, VERIFY)
        if half_way is not None:
            self._next = half_way.next
            sign_in_complete(self.request, half_way.user, second_factor=True)
        else:
            second_factor_passed(self.request)

    def get_success_url(self) -> str:
        return self.get_redirect_url() or getattr(self, "_next", "/")


# --- Setting a passkey up -----------------------------------------------------------------------


class _RegistrationCeremony:
    request: Any

    def get_user(self) -> User | None:
        """The signed-in staff member, or the person half way in whose clinic requires a factor.
        `is_verified` is what the library asks before adding a passkey to an account that has a
        factor already: whether this session passed one."""
        user = _staff(self.request)
        if user is None:
            half_way = pending(self.request, ENROLL)
            user = half_way.user if half_way else None
        if user is not None:
            verified = signed_in_with_second_factor(self.request)
            user.is_verified = lambda: verified  # type: ignore[attr-defined]
        return user


class PasskeyRegisterBegin(_RegistrationCeremony, BeginCredentialRegistrationView):
    pass


class PasskeyRegisterComplete(_RegistrationCeremony, CompleteCredentialRegistrationView):
    """Stores the new passkey, then finishes the sign-in it was the last step of, if it was."""

    def post(self, *args: Any, **kwargs: Any) -> JsonResponse:
        user = self.get_user()
        assert user is not None  # initial() refused the request otherwise
        state = self.get_state()
        had_factor = second_factor.has_second_factor(user)
        with rewrite_exceptions(logger=_get_pywebauthn_logger()):
            device = self.get_helper().register_complete(user=user, state=state, data=self.request.data)
        device.name = second_factor.passkey_name(user=user)
        device.save(update_fields=["name"])
        half_way = pending(self.request, ENROLL)
        if half_way is not None and not self.request.user.is_authenticated:
            sign_in_complete(self.request, user, second_factor=True)
            self.request.session[PASSKEY_THEN_KEY] = half_way.next
        elif not had_factor or signed_in_with_second_factor(self.request):
            second_factor_passed(self.request)
        audit_record(actor=user, action="update", resource="second-factor", patient_ids=[None], detail="added passkey")
        return JsonResponse({"id": device.pk})


# gettext() for the library's scripts (their status messages).
passkey_catalog = JavaScriptCatalog.as_view(packages=["django_otp_webauthn"])
