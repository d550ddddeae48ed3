"""The Django admin is for engineers: superusers only.

Clinic admins and nurses work in the dashboard, whose pages are scoped to their own clinic; the
admin site shows every clinic's rows. So `is_staff` (which a clinic admin may carry from older
accounts) opens nothing here: a signed-in non-superuser is sent to the admin's sign-in page, and
that page signs in superusers only. What clinic admins used the admin for (staff, unlocking, the
delivery log and recorded messages) is in the dashboard (backend/dashboard/staff_views.py and
delivery_views.py).
"""

from __future__ import annotations

from functools import cache
from typing import Any
from urllib.parse import urlencode

from django.contrib.admin import AdminSite
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache

ENGINEERS_ONLY = "The Django admin is for CareLoop's engineers. Clinic staff use the dashboard."


class EngineersAdminSite(AdminSite):
    site_header = "CareLoop engineering admin"

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(user.is_active and user.is_superuser)

    @property  # type: ignore[override]
    def login_form(self) -> Any:
        return _engineer_login_form()


@cache
def _engineer_login_form() -> Any:
    """The admin's sign-in form, refusing anyone but a superuser. Made on first use: the auth forms
    import the user model, which is not loaded yet when this app is set up."""
    from django.contrib.admin.forms import AdminAuthenticationForm
    from django.core.exceptions import ValidationError

    class EngineerAuthenticationForm(AdminAuthenticationForm):
        def confirm_login_allowed(self, user: Any) -> None:
            super().confirm_login_allowed(user)
            if not user.is_superuser:
                raise ValidationError(ENGINEERS_ONLY, code="not_an_engineer")

    return EngineerAuthenticationForm


class EngineersAdminConfig(AdminConfig):
    default_site = "backend.config.admin_site.EngineersAdminSite"


@never_cache
def engineer_signin(request: HttpRequest) -> HttpResponse:
    """Mounted over the admin's own sign-in page, which asks for a password only: engineers sign in
    through the dashboard's steps (the lockout, then their second factor) and come back. Someone
    signed in whom the admin turned away is told why; no password is taken here."""
    from backend.dashboard.access import refuse

    if request.user.is_authenticated:
        return refuse(request, ENGINEERS_ONLY)
    target = request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = reverse("admin:index")
    return redirect(f"{reverse('dashboard:signin')}?{urlencode({'next': target})}")
