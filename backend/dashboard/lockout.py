"""Sign-in lockout with django-axes: the backend check and the page a locked-out person sees."""

from __future__ import annotations

from typing import Any

from axes.backends import AxesStandaloneBackend
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy

LOCKED_OUT = gettext_lazy(
    "Too many failed sign-ins for this username on this computer. Wait 15 minutes and try again, "
    "or ask your clinic admin to unlock it."
)


DASHBOARD_FAILURE_LIMIT = 5
# Programs sign in through the API, and a client that retries with a stale password should not
# lock a nurse out of her phone within seconds; 20 guesses per 15 minutes per username and address
# still stops guessing (NIST SP 800-63B §5.2.2 allows at most 100 consecutive failures).
API_FAILURE_LIMIT = 20


def failure_limit(request: HttpRequest, credentials: object = None) -> int:
    """AXES_FAILURE_LIMIT: one count of failures per username and address, two thresholds."""
    return API_FAILURE_LIMIT if request.path.startswith("/api/") else DASHBOARD_FAILURE_LIMIT


class RequestLockoutBackend(AxesStandaloneBackend):
    """django-axes' lockout check for sign-ins that come with a request (the dashboard, /admin/ and
    the API's token endpoint). A call without one (a management command, a test) passes to the next
    backend instead of the exception axes' own backend raises."""

    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> None:
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)  # type: ignore[no-any-return]


def lockout_response(request: HttpRequest, original_response: HttpResponse | None = None, *_: Any) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: the sign-in page again, with the reason, as 429 Too Many Requests.
    The API's token endpoint has already answered in JSON (accounts.services.token_login): kept."""
    if request.path.startswith("/api/") and original_response is not None:
        return original_response
    from backend.dashboard.forms import SignInForm

    form = SignInForm(initial={"username": request.POST.get("username", "")})
    return render(request, "dashboard/signin.html", {"form": form, "locked_out": LOCKED_OUT}, status=429)
