"""What a nurse typed when her session had ended: kept, and offered again after she signs in.

A form posted after 30 minutes without activity reaches no view: the nurse is sent to sign in.
Instead of losing the form, `stash` keeps its fields in the (new, anonymous) session, which signing
in keeps, and sends her to the page the form belongs to. That page offers it again, filled in, to be
checked and sent with a fresh CSRF token (`take`); a page with no such form says what was not saved
(`unsaved`, a context processor). Never replayed on its own: whoever signs in at that screen may
not be who typed it, so they see it and press the button themselves.

The same map sends a sign-in whose `next=` names a POST-only URL to that form's page, never to a 405.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, QueryDict
from django.urls import Resolver404, resolve, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

KEY = "careloop_pending"
# A form left longer than this is not offered again: the page may have moved on since.
KEEP_SECONDS = 2 * 3600
# Never kept: the CSRF token (a new one comes with the form) and anything secret.
SECRET_WORDS = ("csrf", "password", "token", "secret", "otp")


def _kept_field(name: str) -> bool:
    return not any(word in name.lower() for word in SECRET_WORDS)


def _queue(kwargs: dict[str, Any]) -> str:
    return reverse("dashboard:queue")


def _patient(kwargs: dict[str, Any]) -> str:
    return reverse("dashboard:patient", kwargs={"patient_id": kwargs["patient_id"]})


def _same(name: str) -> Callable[[dict[str, Any]], str]:
    return lambda kwargs: reverse(f"dashboard:{name}", kwargs=kwargs)


def _named(name: str) -> Callable[[dict[str, Any]], str]:
    return lambda kwargs: reverse(f"dashboard:{name}")


@dataclass(frozen=True)
class Form:
    what: Promise  # what was not saved, in the nurse's words (and language)
    page: Callable[[dict[str, Any]], str]  # where the form is offered again


FORMS: dict[str, Form] = {
    "alert-resolve": Form(gettext_lazy("the resolve note"), _same("alert-resolve")),
    "alert-acknowledge": Form(gettext_lazy("an acknowledgement"), _queue),
    "alert-assign": Form(gettext_lazy("assigning an alert"), _queue),
    "alert-note": Form(gettext_lazy("the note on the alert"), _same("alert-resolve")),
    "alert-decision": Form(gettext_lazy("the dose decision on the alert"), _same("alert-resolve")),
    "patient-alerts-resolve": Form(gettext_lazy("resolving the ticked alerts"), _patient),
    "enroll": Form(gettext_lazy("the new patient"), _named("enroll")),
    "patient-code": Form(gettext_lazy("a new enrollment code"), _patient),
    "patient-timezone": Form(gettext_lazy("the time-zone change"), _patient),
    "patient-sex": Form(gettext_lazy("the sex for reference limits"), _patient),
    "patient-baseline": Form(gettext_lazy("the lab baseline"), _patient),
    "patient-baseline-clear": Form(gettext_lazy("removing the entered baseline"), _patient),
    "patient-markers": Form(gettext_lazy("the response markers"), _patient),
    "patient-profile": Form(gettext_lazy("the clinical profile"), _patient),
    "patient-dose-decision": Form(gettext_lazy("the dose decision"), _patient),
    "patient-device-signout": Form(gettext_lazy("signing out the phone"), _patient),
    "patient-details": Form(gettext_lazy("the patient's details"), _patient),
    "patient-status": Form(gettext_lazy("the patient's status (pause, discharge or resume)"), _patient),
    "patient-reminder-plan": Form(gettext_lazy("the reminder plan"), _patient),
    "patients-search": Form(gettext_lazy("the patient search"), _named("patients")),
    "clinic-settings": Form(gettext_lazy("the clinic settings"), _named("clinic-settings")),
    "staff": Form(gettext_lazy("the new staff member"), _named("staff")),
    "staff-deactivate": Form(gettext_lazy("deactivating a staff member"), _named("staff")),
    "staff-reactivate": Form(gettext_lazy("reactivating a staff member"), _named("staff")),
    "staff-unlock": Form(gettext_lazy("unlocking a sign-in"), _named("staff")),
    "deliveries-retry-failed": Form(gettext_lazy("retrying the failed messages"), _named("deliveries")),
    "delivery-retry": Form(gettext_lazy("sending a message again"), _named("deliveries")),
    "channel-resume": Form(gettext_lazy("turning a channel back on"), _named("deliveries")),
    "staff-second-factor-reset": Form(gettext_lazy("resetting a second factor"), _named("staff")),
    "integration-revoke": Form(gettext_lazy("revoking an integration's key"), _named("integrations")),
    "security-recovery-codes": Form(gettext_lazy("making new recovery codes"), _named("security")),
    "security-remove": Form(gettext_lazy("removing a second factor"), _named("security")),
    "account-language": Form(gettext_lazy("the language choice"), _named("security")),
}

# POST-only URLs that take no form: the passkey ceremonies' JSON, which answers a challenge held in
# the session the browser had; after that session ended there is nothing to offer again.
NOT_FORMS = frozenset(
    {
        "signin-passkey-begin",
        "signin-passkey-complete",
        "security-passkey-begin",
        "security-passkey-complete",
    }
)


def _form_of(path: str) -> tuple[Form, dict[str, Any]] | None:
    try:
        match = resolve(path)
    except Resolver404:
        return None
    if match.namespace != "dashboard" or match.url_name not in FORMS:
        return None
    return FORMS[match.url_name], match.kwargs


def landing(path: str) -> str:
    """Where a sign-in with `next=path` should land: the page of the form a POST-only URL belongs
    to (a GET of it would be a 405), else the path itself."""
    found = _form_of(path.split("?", 1)[0])
    if found is None:
        return path
    form, kwargs = found
    page = form.page(kwargs)
    return path if page == path.split("?", 1)[0] else page


def after_sign_in(request: HttpRequest, target: str) -> str:
    """Where signing in leads: the page of a kept form first (the queue's polling may have sent the
    browser to sign in with its own `next=` just as the form was kept), else `landing(target)`."""
    found = _fresh(request)
    return str(found["page"]) if found else landing(target)


def stash(request: HttpRequest) -> str | None:
    """Keep a POST that arrived signed out; the page to sign in to, or None for a form not kept."""
    found = _form_of(request.path_info)
    if found is None:
        return None
    form, kwargs = found
    page = form.page(kwargs)
    fields = {k: v for k, v in request.POST.lists() if _kept_field(k)}
    request.session[KEY] = {
        "action": request.path,
        "page": page,
        "what": str(form.what),
        "fields": fields,
        "at": int(time.time()),
    }
    return page


def _fresh(request: HttpRequest) -> dict[str, Any] | None:
    kept = request.session.get(KEY)
    if not isinstance(kept, dict):
        return None
    if time.time() - int(kept.get("at", 0)) > KEEP_SECONDS:
        del request.session[KEY]
        return None
    return kept


def kept(request: HttpRequest) -> str:
    """What is kept to be offered again after sign-in ("" if nothing), for the sign-in page."""
    found = _fresh(request)
    return _what(found) if found else ""


def take(request: HttpRequest, action: str) -> QueryDict | None:
    """The fields kept from a form posted to `action` while signed out, once; None if there are none."""
    if not request.user.is_authenticated:
        return None
    kept = _fresh(request)
    if kept is None or kept.get("action") != action:
        return None
    del request.session[KEY]
    data = QueryDict(mutable=True)
    for name, values in kept["fields"].items():
        data.setlist(name, values)
    return data


def unsaved(request: HttpRequest) -> dict[str, str]:
    """Context processor: on the page of a kept form its view did not offer again, say what was not
    saved (once)."""
    user = getattr(request, "user", None)  # none on some pages rendered for the API (its docs)
    if user is None or not user.is_authenticated or KEY not in getattr(request, "session", {}):
        return {}
    kept = _fresh(request)
    if kept is None or kept.get("page") != request.path:
        return {}
    del request.session[KEY]
    return {"unsaved": _what(kept)}


def _what(kept: dict[str, Any]) -> str:
    """What was not saved, in the language of the page that says it (the form is found again from
    its address; the words stored with it are those of the page that kept it)."""
    found = _form_of(str(kept.get("action", "")))
    return str(found[0].what) if found else str(kept.get("what", ""))
