"""A clinic admin's staff page: list, add, deactivate, reactivate, unlock (backend.dashboard.staff
does the work and the audit trail). Post-redirect-get: a reload never adds a colleague twice."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from backend.accounts.models import Role, User
from backend.core.errors import ApplicationError, NotFound
from backend.dashboard import staff
from backend.dashboard.access import admin_required, refuse

ADDED = gettext_lazy("{name} can now sign in as {role}. Give them their username and password in person.")
DEACTIVATED = gettext_lazy("{name} is deactivated and signed out of every device.")
REACTIVATED = gettext_lazy("{name} can sign in again.")
UNLOCKED = gettext_lazy("{name} can sign in again now.")
NOT_LOCKED = gettext_lazy("{name} had no failed sign-ins to clear.")
SECOND_FACTOR_RESET = gettext_lazy(
    "{name}'s second factor and recovery codes are removed, and their API tokens signed out. They sign in with "
    "the password next, then set a factor up again."
)
NO_SECOND_FACTOR = gettext_lazy("{name} had no second factor to reset.")


class StaffForm(forms.Form):
    username = forms.CharField(
        max_length=150, label=gettext_lazy("Username"), widget=forms.TextInput(attrs={"autocomplete": "off"})
    )
    first_name = forms.CharField(max_length=150, required=False, label=gettext_lazy("First name"))
    last_name = forms.CharField(max_length=150, required=False, label=gettext_lazy("Last name"))
    role = forms.ChoiceField(
        choices=[(Role.NURSE, gettext_lazy("Nurse")), (Role.ADMIN, gettext_lazy("Clinic admin"))],
        initial=Role.NURSE,
        label=gettext_lazy("Role"),
    )

    password = forms.CharField(
        strip=False,
        max_length=256,
        label=gettext_lazy("Password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=gettext_lazy("At least 12 characters, not like the username or name, not a common password."),
    )

    def add_service_errors(self, errors: dict[str, list[str]]) -> None:
        for key, reasons in errors.items():
            self.add_error(key if key in self.fields else None, " ".join(reasons))


def _admin(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _name(user: User) -> str:
    return user.get_full_name() or user.username


@sensitive_post_parameters("password")
@never_cache
@require_http_methods(["GET", "POST"])
@admin_required
def staff_list(request: HttpRequest) -> HttpResponse:
    form = StaffForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = staff.staff_member_add(
                admin=_admin(request),
                username=data["username"],
                password=data["password"],
                role=data["role"],
                first_name=data["first_name"],
                last_name=data["last_name"],
            )
        except ApplicationError as exc:
            form.add_service_errors(exc.errors)
        else:
            messages.success(request, ADDED.format(name=_name(user), role=user.get_role_display()))  # type: ignore[attr-defined]
            return redirect("dashboard:staff")
    page = staff.staff_page(admin=_admin(request), now=timezone.now())
    context = {"page": page, "form": form, "me": _admin(request)}
    return render(request, "dashboard/staff.html", context, status=400 if form.is_bound else 200)


def _act(request: HttpRequest, action: str, user_id: int) -> HttpResponse:
    admin = _admin(request)
    try:
        if action == "deactivate":
            user = staff.staff_member_deactivate(admin=admin, user_id=user_id)
            text = DEACTIVATED
        elif action == "reactivate":
            user = staff.staff_member_reactivate(admin=admin, user_id=user_id)
            text = REACTIVATED
        elif action == "reset-second-factor":
            user, removed = staff.second_factor_reset(admin=admin, user_id=user_id)
            text = SECOND_FACTOR_RESET if removed else NO_SECOND_FACTOR
        else:
            user, lifted = staff.sign_in_unlock(admin=admin, user_id=user_id)
            text = UNLOCKED if lifted else NOT_LOCKED
    except NotFound as exc:
        return refuse(request, " ".join(exc.errors["detail"]), status=404)
    except ApplicationError as exc:
        messages.error(request, " ".join(r for reasons in exc.errors.values() for r in reasons))
    else:
        messages.success(request, text.format(name=_name(user)))
    return redirect("dashboard:staff")


@never_cache
@require_POST
@admin_required
def staff_deactivate(request: HttpRequest, user_id: int) -> HttpResponse:
    return _act(request, "deactivate", user_id)


@never_cache
@require_POST
@admin_required
def staff_reactivate(request: HttpRequest, user_id: int) -> HttpResponse:
    return _act(request, "reactivate", user_id)


@never_cache
@require_POST
@admin_required
def sign_in_unlock(request: HttpRequest, user_id: int) -> HttpResponse:
    return _act(request, "unlock", user_id)


@never_cache
@require_POST
@admin_required
def second_factor_reset(request: HttpRequest, user_id: int) -> HttpResponse:
    return _act(request, "reset-second-factor", user_id)
