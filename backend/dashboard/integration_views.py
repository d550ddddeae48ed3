"""A clinic admin's integrations page: the FHIR integration credentials of the clinic's lab system
or EHR (backend.fhir.credentials does the work and the audit trail, as for `manage.py
fhir_credential`): list, create, revoke. Post-redirect-get: a reload never makes a second one, and
the new token is shown on that one page only."""

from __future__ import annotations

from uuid import UUID

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from backend.accounts.models import User
from backend.audit.services import audit_record
from backend.core.errors import ApplicationError, NotFound
from backend.dashboard.access import admin_required, refuse
from backend.fhir.credentials import credential_create, credential_revoke, credentials_of

CREDENTIAL_REVOKED = gettext_lazy("{name} is revoked: its token no longer opens anything, from its next request on.")
CREDENTIAL_GONE = gettext_lazy("No such integration credential in your clinic.")
# The session key under which a new credential's token waits for the one page that shows it.
NEW_CREDENTIAL = "dashboard.new_integration_credential"


class IntegrationCredentialForm(forms.Form):
    name = forms.CharField(
        max_length=120,
        label=gettext_lazy("Name"),
        help_text=gettext_lazy(
            "What it is for, e.g. the lab system's name: it names the credential in the audit trail."
        ),
    )

    def add_service_errors(self, errors: dict[str, list[str]]) -> None:
        for key, reasons in errors.items():
            self.add_error(key if key in self.fields else None, " ".join(reasons))


def _admin(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


@never_cache
@require_http_methods(["GET", "POST"])
@admin_required
def integrations(request: HttpRequest) -> HttpResponse:
    """The clinic's FHIR integration credentials (backend.fhir.credentials): the list, and a new one."""
    admin = _admin(request)
    form = IntegrationCredentialForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            credential, token = credential_create(admin=admin, name=form.cleaned_data["name"])
        except ApplicationError as exc:
            form.add_service_errors(exc.errors)
        else:
            # Post/redirect/get: reloading the page that shows the token makes no second credential.
            # The token waits in the server-side session for that one page, which takes it out: it is
            # shown once and kept nowhere (the credential keeps only its digest).
            request.session[NEW_CREDENTIAL] = {"id": str(credential.pk), "name": credential.name, "token": token}
            return redirect("dashboard:integrations")
    new = request.session.pop(NEW_CREDENTIAL, None) if request.method == "GET" else None
    credentials = credentials_of(admin)
    audit_record(
        actor=admin,
        action="read",
        resource="fhir_credential",
        patient_ids=[None],
        detail=f"integration credentials page ({len(credentials)})",
    )
    context = {
        "form": form,
        "credentials": credentials,
        "new": new,
        "fhir_base": request.build_absolute_uri("/fhir/"),
    }
    return render(request, "dashboard/integrations.html", context, status=400 if form.errors else 200)


@never_cache
@require_POST
@admin_required
def integration_revoke(request: HttpRequest, credential_id: UUID) -> HttpResponse:
    try:
        credential = credential_revoke(admin=_admin(request), credential_id=str(credential_id))
    except NotFound:
        return refuse(request, CREDENTIAL_GONE, status=404)
    messages.success(request, CREDENTIAL_REVOKED.format(name=credential.name))
    return redirect("dashboard:integrations")
