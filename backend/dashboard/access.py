"""Who may use the dashboard: signed-in clinic staff; the clinic settings and audit trail are for admins."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from backend.accounts.models import STAFF_ROLES, Role, User
from backend.dashboard import pending
from backend.dashboard.signin_steps import signed_in_with_second_factor

View = Callable[..., HttpResponse]

NOT_STAFF = gettext_lazy(
    "The dashboard is for clinic staff. Patients and caregivers use the CareLoop app on their phone."
)
NO_CLINIC = gettext_lazy("Your account is not attached to a clinic yet. Ask your clinic admin to add you.")
ADMINS_ONLY = gettext_lazy("Only your clinic's admin can open this page.")


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _to_signin(request: HttpRequest, reason: str = "expired") -> HttpResponse:
    # A form posted after the session ended (or was ended for want of a second factor) is kept and
    # offered again on its page after sign-in (backend.dashboard.pending), rather than lost, or sent
    # on to a URL that only takes a POST (405).
    kept_for = pending.stash(request) if request.method == "POST" else None
    if is_htmx(request):
        # A fragment request (e.g. the queue's polling) after the session expired: send the whole
        # page to the sign-in form rather than swapping a sign-in form into a table.
        target = kept_for or request.headers.get("HX-Current-URL") or reverse("dashboard:queue")
        response = HttpResponse(status=204)
        response["HX-Redirect"] = f"{reverse('dashboard:signin')}?{urlencode({'next': target, reason: '1'})}"
        return response
    if request.method == "POST":
        target = kept_for or reverse("dashboard:queue")
        return redirect(f"{reverse('dashboard:signin')}?{urlencode({'next': target, reason: '1'})}")
    if reason != "expired":
        return redirect(f"{reverse('dashboard:signin')}?{urlencode({'next': request.get_full_path(), reason: '1'})}")
    return redirect_to_login(request.get_full_path(), reverse("dashboard:signin"))


def refuse(request: HttpRequest, reason: str, status: int = 403) -> HttpResponse:
    title = _("Not found") if status == 404 else _("Not available")

    return render(request, "dashboard/refused.html", {"reason": reason, "heading": title}, status=status)


def staff_required(view: View) -> View:
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not user.is_authenticated:
            return _to_signin(request)
        assert isinstance(user, User)
        if user.role not in STAFF_ROLES:
            logout(request)
            return refuse(request, NOT_STAFF)
        if user.clinic is None:
            return refuse(request, NO_CLINIC)
        if user.clinic.require_second_factor and not signed_in_with_second_factor(request):
            # Signed in before the clinic turned the rule on (or without the sign-in page): the
            # password step again, which then asks for the factor or sets one up.
            logout(request)
            return _to_signin(request, "second_factor")
        return view(request, *args, **kwargs)

    return wrapped


def admin_required(view: View) -> View:
    @staff_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.role != Role.ADMIN:  # type: ignore[union-attr]
            return refuse(request, ADMINS_ONLY)
        return view(request, *args, **kwargs)

    return wrapped
