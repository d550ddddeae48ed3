"""Staff second factor in the dashboard: the sign-in step after the password, setting up an
authenticator app or a passkey, recovery codes, removing a factor (README "Security").

Passkey ceremonies are JSON endpoints in backend.dashboard.passkeys; the pages here render the
buttons and django-otp-webauthn's static scripts for them."""

from __future__ import annotations

from base64 import b32encode
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from backend.accounts import second_factor
from backend.accounts.models import User
from backend.audit.services import audit_record
from backend.core.errors import ApplicationError
from backend.dashboard.access import refuse, staff_required
from backend.dashboard.language_views import LanguageForm
from backend.dashboard.lockout import lockout_response
from backend.dashboard.qr import qr_svg
from backend.dashboard.signin_steps import (
    ENROLL,
    PASSKEY_THEN_KEY,
    VERIFY,
    failure_record,
    locked_out,
    pending,
    pending_end,
    pending_start,
    second_factor_fresh,
    second_factor_passed,
    sign_in_complete,
)

RECOVERY_USED = gettext_lazy("You signed in with a recovery code: {left} left. Make new ones on the Security page.")
CONFIRM_FIRST = gettext_lazy("Confirm it is you with your second factor, then try again.")
REMOVED = gettext_lazy("{what} removed.")
SET_UP_FIRST = gettext_lazy("Set up an authenticator app or a passkey first.")


def after_password(request: HttpRequest, user: User, next_url: str) -> HttpResponse:
    """The password was right: sign in, or go on to the second factor, or to setting one up."""
    if second_factor.has_second_factor(user):
        pending_start(request, user=user, step=VERIFY, next_url=next_url)
        return redirect("dashboard:signin-verify")
    if second_factor.second_factor_required(user):
        pending_start(request, user=user, step=ENROLL, next_url=next_url)
        return redirect("dashboard:signin-setup")
    sign_in_complete(request, user, second_factor=False)
    return redirect(next_url)


def _signed_in_staff(request: HttpRequest) -> User | None:
    user = request.user
    return user if isinstance(user, User) and user.is_authenticated and user.is_clinic_staff else None


def _audit(request: HttpRequest, user: User, detail: str) -> None:
    audit_record(actor=user, action="update", resource="second-factor", patient_ids=[None], detail=detail)


def _passkey_config(request: HttpRequest, *, begin: str, complete: str) -> dict[str, Any]:
    """What django-otp-webauthn's scripts read from the page (json_script, not executed)."""
    begin_url, complete_url = reverse(begin), reverse(complete)
    return {
        "autocompleteLoginFieldSelector": None,
        "nextFieldSelector": "input[name='next']",
        "csrfToken": get_token(request),
        "beginAuthenticationUrl": begin_url,
        "completeAuthenticationUrl": complete_url,
        "beginRegistrationUrl": begin_url,
        "completeRegistrationUrl": complete_url,
    }


# --- The sign-in step, and confirming again before a change ------------------------------------


@sensitive_post_parameters("code")
@never_cache
@require_http_methods(["GET", "POST"])
def signin_verify(request: HttpRequest) -> HttpResponse:
    """After the password: a code from the authenticator app, a recovery code, or a passkey. Signed
    in already, the same page confirms a person again before removing a factor."""
    half_way = pending(request, VERIFY)
    user = half_way.user if half_way else _signed_in_staff(request)
    if user is None:
        return redirect("dashboard:signin")
    next_url = half_way.next if half_way else _next_path(request)
    factors = second_factor.factors_of(user)
    if not factors.any:
        return redirect(next_url if half_way is None else "dashboard:signin")
    error, status = "", 200
    if request.method == "POST":
        if locked_out(request, user):  # wrong codes count when confirming again, too
            pending_end(request)
            return lockout_response(request)
        check = second_factor.code_verify(user=user, code=request.POST.get("code", ""))
        if check.ok:
            if half_way:
                sign_in_complete(request, user, second_factor=True)
            else:
                second_factor_passed(request)
            if check.kind == "recovery code":
                left = second_factor.factors_of(user).recovery_codes_left
                messages.warning(request, RECOVERY_USED.format(left=left))
            return redirect(next_url)
        if failure_record(request, user):
            return lockout_response(request)
        error, status = (second_factor.WAIT, 429) if check.throttled else (second_factor.WRONG_CODE, 400)
    context = {
        "factors": factors,
        "error": error,
        "next": next_url,
        "signing_in": half_way is not None,
        "passkey_config": _passkey_config(
            request, begin="dashboard:signin-passkey-begin", complete="dashboard:signin-passkey-complete"
        ),
    }
    return render(request, "dashboard/second_factor_verify.html", context, status=status)


def _next_path(request: HttpRequest) -> str:
    """Where to go after confirming: a path on this site (never another), else the Security page."""
    target = request.GET.get("next") or request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return reverse("dashboard:security")


def _confirm_first(request: HttpRequest) -> HttpResponse:
    messages.info(request, CONFIRM_FIRST)
    return redirect(f"{reverse('dashboard:signin-verify')}?{urlencode({'next': reverse('dashboard:security')})}")


# --- Setting a factor up: while signing in (the clinic requires one) or from the Security page -----


def _setup_owner(request: HttpRequest) -> tuple[User, str] | None:
    """Who is setting a factor up, and where to go after: a signed-in staff member, or a person half
    way in whose clinic requires a factor they do not have yet."""
    user = _signed_in_staff(request)
    if user is not None:
        return user, ""
    half_way = pending(request, ENROLL)
    if half_way is not None:
        return half_way.user, half_way.next
    return None


@sensitive_post_parameters("code")
@never_cache
@require_http_methods(["GET", "POST"])
def authenticator_setup(request: HttpRequest) -> HttpResponse:
    """Scan a QR code (or type the key) into an authenticator app, then confirm with a code from it."""
    owner = _setup_owner(request)
    if owner is None:
        return redirect("dashboard:signin")
    user, signing_in_to = owner
    had = second_factor.factors_of(user)
    if had.authenticator is not None and not second_factor_fresh(request):
        return _confirm_first(request)  # a new app replaces the one there is
    error, status = "", 200
    if request.method == "POST":
        try:
            second_factor.authenticator_confirm(user=user, code=request.POST.get("code", ""))
        except ApplicationError as exc:
            error, status = " ".join(exc.errors.get("code", [])), exc.status
        else:
            return _factor_added(request, user, signing_in_to, had, what="authenticator app")
    device = second_factor.authenticator_pending(user=user) or second_factor.authenticator_start(user=user)
    key = b32encode(device.bin_key).decode()
    context = {
        "signing_in": bool(signing_in_to),
        "key": " ".join(key[i : i + 4] for i in range(0, len(key), 4)),
        "qr": qr_svg(device.config_url, label="QR code for your authenticator app"),
        "error": error,
        "has_app": had.authenticator is not None,
    }
    return render(request, "dashboard/second_factor_authenticator.html", context, status=status)


def _factor_added(
    request: HttpRequest, user: User, signing_in_to: str, had: second_factor.Factors, *, what: str
) -> HttpResponse:
    if signing_in_to:
        sign_in_complete(request, user, second_factor=True)
    else:
        second_factor_passed(request)
    _audit(request, user, f"added {what}")
    if had.recovery_codes_left == 0:  # the first factor: its way back in, shown once
        return _show_recovery_codes(request, user, then=signing_in_to or reverse("dashboard:security"))
    done = _("Your authenticator app is set up.") if what == "authenticator app" else _("Your passkey is set up.")
    messages.success(request, done)
    return redirect(signing_in_to or "dashboard:security")


def _show_recovery_codes(request: HttpRequest, user: User, *, then: str) -> HttpResponse:
    codes = second_factor.recovery_codes_issue(user=user)
    _audit(request, user, "new recovery codes")
    return render(request, "dashboard/second_factor_recovery_codes.html", {"codes": codes, "then": then})


@never_cache
@require_http_methods(["GET"])
def signin_setup(request: HttpRequest) -> HttpResponse:
    """The clinic requires a second factor and this person has none: set one up to finish signing in."""
    half_way = pending(request, ENROLL)
    if half_way is None:
        return redirect("dashboard:signin")
    return render(request, "dashboard/second_factor_required.html", _setup_context(request, signing_in=True))


def _setup_context(request: HttpRequest, *, signing_in: bool) -> dict[str, Any]:
    return {
        "signing_in": signing_in,
        "passkey_config": _passkey_config(
            request, begin="dashboard:security-passkey-begin", complete="dashboard:security-passkey-complete"
        ),
        "passkey_done": reverse("dashboard:security-passkey-added"),
    }


@never_cache
@require_http_methods(["GET"])
def passkey_added(request: HttpRequest) -> HttpResponse:
    """Where the page goes once the browser registered a passkey (backend.dashboard.passkeys signed
    the person in, if that was the last step): the recovery codes for a first factor, else Security."""
    user = _signed_in_staff(request)
    if user is None:
        return redirect("dashboard:signin")
    then = request.session.pop(PASSKEY_THEN_KEY, "") or reverse("dashboard:security")
    if second_factor.factors_of(user).recovery_codes_left == 0 and second_factor.has_second_factor(user):
        return _show_recovery_codes(request, user, then=then)
    messages.success(request, _("Your passkey is set up."))
    return redirect(then)


# --- The Security page -------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET"])
@staff_required
def security(request: HttpRequest) -> HttpResponse:
    user = _signed_in_staff(request)
    assert user is not None
    context = {
        "factors": second_factor.factors_of(user),
        "required": second_factor.second_factor_required(user),
        "language_form": LanguageForm(initial={"language": user.language}),
        **_setup_context(request, signing_in=False),
    }
    return render(request, "dashboard/security.html", context)


@require_POST
@staff_required
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """New recovery codes (the old ones stop working); a second factor confirmed in the last minutes."""
    user = _signed_in_staff(request)
    assert user is not None
    if not second_factor.has_second_factor(user):
        messages.error(request, SET_UP_FIRST)
        return redirect("dashboard:security")
    if not second_factor_fresh(request):
        return _confirm_first(request)
    return _show_recovery_codes(request, user, then=reverse("dashboard:security"))


@require_POST
@staff_required
def factor_remove(request: HttpRequest, kind: str, device_id: int) -> HttpResponse:
    """Remove an authenticator app or a passkey; a second factor confirmed in the last minutes."""
    user = _signed_in_staff(request)
    assert user is not None
    if not second_factor_fresh(request):
        return _confirm_first(request)
    try:
        second_factor.factor_remove(user=user, kind=kind, device_id=device_id)
    except ApplicationError as exc:
        if exc.status == 404:
            return refuse(request, _("Not found, or not one of yours."), status=404)
        messages.error(request, " ".join(r for reasons in exc.errors.values() for r in reasons))
        return redirect("dashboard:security")
    what = "Authenticator app" if kind == second_factor.TOTP_KIND else "Passkey"
    shown = _("Authenticator app") if kind == second_factor.TOTP_KIND else _("Passkey")
    _audit(request, user, f"removed {what.lower()}")
    messages.success(request, REMOVED.format(what=shown))
    return redirect("dashboard:security")
