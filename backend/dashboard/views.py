"""Dashboard pages. Each view parses the request, calls a selector or a service, writes the audit
trail for any patient data it shows, and renders. htmx requests get the fragment they asked for."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any
from uuid import UUID, uuid4

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, logout
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from backend.accounts.models import STAFF_ROLES, Clinic, User
from backend.alerts.assignment import assignable_staff
from backend.alerts.models import Alert
from backend.alerts.services import alert_acknowledge, alert_resolve, alerts_visible_to
from backend.audit.services import audit_record
from backend.core.errors import ApplicationError, NotFound
from backend.dashboard import alert_actions, alert_panel, dose_panel, patient_admin, patient_charts, pending
from backend.dashboard.access import NOT_STAFF, admin_required, is_htmx, refuse, staff_required
from backend.dashboard.audit_trail import AuditFilters, audit_events_for_clinic, clinic_patient_choices, patient_names
from backend.dashboard.counts import queue_counts, version_time
from backend.dashboard.cycle_start import cycle_start_rows
from backend.dashboard.forms import (
    AuditFilterForm,
    BaselineForm,
    ClinicSettingsForm,
    EnrollForm,
    PatientSexForm,
    PatientTimezoneForm,
    QueueFilterForm,
    ResolveForm,
    SignInForm,
    timezone_names,
)
from backend.dashboard.outcomes import clinic_outcomes, outcomes_csv
from backend.dashboard.patient_page import patient_record
from backend.dashboard.patients import patient_for
from backend.dashboard.presenters import QueueLinks, timeline
from backend.dashboard.qr import qr_svg
from backend.dashboard.response_panel import markers_from_form, response_panel
from backend.dashboard.second_factor_views import after_password
from backend.dashboard.services import clinic_settings_update
from backend.dashboard.triage_queue import queue_read
from backend.patients import dose_decisions
from backend.patients.clinical_profile import ClinicalProfile, patient_clinical_profile_change
from backend.patients.models import SEX_CHOICES, Patient
from backend.patients.selectors import patient_devices
from backend.patients.services import (
    RegimenInput,
    enrollment_code_issue,
    patient_create,
    patient_device_revoke,
    patient_sex_change,
    patient_timezone_change,
)
from backend.records.baselines import baseline_clear, baseline_enter
from backend.response.services import markers_record
from shared.alert_policy import DEFAULT_POLICY

AUDIT_PAGE_SIZE = 50
# How often the open queue asks for changes; the browser tests shorten it.
POLL_SECONDS_DEFAULT = 5
# Lazy: said in the language of the request that shows them (a message is made str when stored).
EXPIRED = gettext_lazy("You were signed out after 30 minutes without activity. Sign in again to continue.")
SIGNED_OUT = gettext_lazy("You are signed out.")
TIMEZONE_CHANGED = gettext_lazy("Time zone changed to {zone}. Reminders now follow it.")
TIMEZONE_UNCHANGED = gettext_lazy("The time zone is already {zone}: nothing changed.")
DEVICE_SIGNED_OUT = gettext_lazy("{device} is signed out. It can no longer read or send anything as {patient}.")
DEVICE_GONE = gettext_lazy("That phone was already signed out.")
SEX_CHANGED = gettext_lazy("Reference limits now follow: {sex}. New lab values are graded with them.")
BASELINE_ENTERED = gettext_lazy("Baseline {analyte} saved: new values are graded against it.")
BASELINE_CLEARED = gettext_lazy(
    "Entered baseline {analyte} removed: the last value on or before cycle 1 day 1 applies."
)


# The API's words (accounts.services.INVALID_CREDENTIALS), in the reader's language.
WRONG_PASSWORD = gettext_lazy("Wrong username or password.")
DOSE_DECIDED = gettext_lazy("Decision recorded. The phone shows the new dose from its next sync.")
PROFILE_SAVED = gettext_lazy("Saved.")


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _clinic(request: HttpRequest) -> Clinic:
    clinic = _user(request).clinic
    assert clinic is not None  # staff_required refuses staff without a clinic
    return clinic


def _safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    # A path on this site only: anything else ("foo") would be taken by redirect() for a view name.
    if target.startswith("/") and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return fallback


def _not_found(request: HttpRequest) -> HttpResponse:
    return refuse(request, _("Not found, or not one of your clinic's patients."), status=404)


def clinic_patient(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The URL's `patient_id` as one of the signed-in nurse's clinic's patients, handed to the view;
    any other patient is a 404 that does not tell whether it exists."""

    @wraps(view)
    def wrapped(request: HttpRequest, patient_id: UUID, *args: Any, **kwargs: Any) -> HttpResponse:
        patient = patient_for(user=_user(request), patient_id=patient_id)
        if patient is None:
            return _not_found(request)
        return view(request, patient, *args, **kwargs)

    return wrapped


def _hx_trigger(response: HttpResponse, **events: Any) -> HttpResponse:
    response["HX-Trigger"] = json.dumps(events)
    return response


# --- Sign in / out ----------------------------------------------------------------------------


@sensitive_post_parameters("password")
@never_cache
@require_http_methods(["GET", "POST"])
def signin(request: HttpRequest) -> HttpResponse:
    user = request.user
    if user.is_authenticated and getattr(user, "role", None) in STAFF_ROLES:
        return redirect(pending.landing(_safe_next(request, reverse("dashboard:queue"))))
    form = SignInForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        found = authenticate(request, username=form.cleaned_data["username"], password=form.cleaned_data["password"])
        if not isinstance(found, User):
            error = WRONG_PASSWORD  # a lockout is answered by axes' middleware instead (lockout.py)
        elif found.role not in STAFF_ROLES:
            error = NOT_STAFF
        else:
            # A form kept while signed out leads (backend.dashboard.pending), through the second
            # factor's steps too (they keep this session's data: login cycles its key, never flushes).
            return after_password(
                request, found, pending.after_sign_in(request, _safe_next(request, reverse("dashboard:queue")))
            )
    context = {
        "form": form,
        "error": error,
        "expired": request.GET.get("expired") == "1" and not error,
        "kept": pending.kept(request),
        "second_factor_now_required": request.GET.get("second_factor") == "1" and not error,
    }
    return render(request, "dashboard/signin.html", context, status=400 if error else 200)


@require_POST
def signout(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.info(request, SIGNED_OUT)
    return redirect("dashboard:signin")


# --- Triage queue -----------------------------------------------------------------------------


def _page_number(value: str | None) -> int:
    """The page asked for (`?page=`, from 1); anything else is the first."""
    try:
        return max(1, int(value or 1))
    except ValueError:
        return 1


@never_cache
@require_GET
@staff_required
def queue(request: HttpRequest) -> HttpResponse:
    """The triage queue, a page at a time. Its own polling asks again for the page it shows with the
    version it shows (`v`): an unchanged queue is answered 204 after one aggregate query, with no
    rendering and no audit rows."""
    fragment = is_htmx(request) and not request.headers.get("HX-History-Restore-Request")
    shown = request.GET.get("v", "")
    counts = queue_counts(clinic_id=_user(request).clinic_id, user_id=_user(request).pk)  # type: ignore[arg-type]
    if fragment and shown and shown == counts.version:
        return HttpResponse(status=204)
    clinic = _clinic(request)
    form = QueueFilterForm(request.GET)
    filters = form.filters()
    queue = queue_read(
        user=_user(request),
        clinic=clinic,
        filters=filters,
        now=timezone.now(),
        page=_page_number(request.GET.get("page")),
        counts=counts,
        seen_until=version_time(shown) if shown else None,
        audit="triage queue",  # its read audit rows: with the default page, in the same statement
    )
    links = QueueLinks()
    context = {
        "queue": queue,
        "rows": links.rows(queue.rows),
        "previous_url": links.page(filters, queue.page - 1) if queue.has_previous else "",
        "next_url": links.page(filters, queue.page + 1) if queue.has_next else "",
        "form": form,
        "filters": filters,
        "clinic": clinic,
        "fragment": fragment,
        "new_rows": [row for row in queue.rows if row.is_new],
        "poll_seconds": getattr(settings, "CARELOOP_DASHBOARD_POLL_SECONDS", POLL_SECONDS_DEFAULT),
        "tabs": links.tabs(filters, queue.counts),
        "staff": list(assignable_staff(clinic.pk)),  # whom a row's alert can be assigned to
    }
    response = render(request, "dashboard/_queue_table.html" if fragment else "dashboard/queue.html", context)
    patch_vary_headers(response, ("HX-Request",))
    return response


def _alert_or_none(request: HttpRequest, alert_id: UUID) -> Alert | None:
    return alerts_visible_to(_user(request)).select_related("resolved_by", "assigned_to").filter(pk=alert_id).first()


def _after_action(request: HttpRequest, said: alert_actions.Said) -> HttpResponse:
    if is_htmx(request):
        response = render(request, "dashboard/_flash.html", {"flash": said.text, "level": said.level})
        return _hx_trigger(response, **{"queue-changed": True, "dialog-close": True})
    messages.add_message(request, messages.SUCCESS if said.level == "success" else messages.INFO, said.text)
    return redirect(_safe_next(request, reverse("dashboard:queue")))


def _audit_patient(request: HttpRequest, patient: Patient, action: str, detail: str) -> None:
    audit_record(
        actor=_user(request),
        action=action,
        resource="patient",
        patient_ids=[patient.pk],
        object_id=str(patient.pk),
        detail=detail,
    )


def _audit_alert(request: HttpRequest, alert: Alert, action: str, resource: str = "alert") -> None:
    audit_record(
        actor=_user(request), action=action, resource=resource, patient_ids=[alert.patient_id], object_id=str(alert.pk)
    )


@require_POST
@staff_required
def acknowledge(request: HttpRequest, alert_id: UUID) -> HttpResponse:
    try:
        action = alert_acknowledge(user=_user(request), alert_id=alert_id)
    except NotFound:
        return _not_found(request)
    # Found already acknowledged or resolved: nothing was done, so the trail has the read it was.
    _audit_alert(request, action.alert, "acknowledge" if action.done else "read")
    return _after_action(request, alert_actions.acknowledged(action, _user(request)))


@never_cache
@require_http_methods(["GET", "POST"])
@staff_required
def resolve(request: HttpRequest, alert_id: UUID) -> HttpResponse:
    """The resolve form (a dialog on the queue, a page without JavaScript). Posted after a colleague
    resolved the alert, the first resolution stands and the note joins the alert's notes; the nurse
    is told who resolved it and when. The form's `client_id` makes a second click add nothing."""
    alert = _alert_or_none(request, alert_id)
    if alert is None:
        return _not_found(request)
    kept = pending.take(request, request.path) if request.method == "GET" else None
    form = ResolveForm(request.POST or kept, initial={"client_id": uuid4()})
    if request.method == "POST" and form.is_valid():
        try:
            action = alert_resolve(
                user=_user(request),
                alert_id=alert.pk,
                note=form.cleaned_data["note"],
                outcome=form.cleaned_data["outcome"],
                client_id=form.cleaned_data["client_id"],
            )
        except ApplicationError as exc:
            for message in exc.errors.values():
                form.add_error(None, " ".join(message))
        else:
            _audit_alert(request, action.alert, "resolve" if action.done else "read")
            if action.note is not None and not action.done:
                _audit_alert(request, action.alert, "create", resource="alert_note")
            return _after_action(request, alert_actions.resolved(action, _user(request)))
    _audit_alert(request, alert, "read")
    context = {
        "alert": alert,
        "form": form,
        "pending": kept is not None,
        "next": _safe_next(request, reverse("dashboard:queue")),
        "dialog": is_htmx(request),
        **alert_panel.panel_context(alert),  # its thread, and the assign, note and decision forms
    }
    template = "dashboard/_resolve_form.html" if is_htmx(request) else "dashboard/resolve.html"
    return render(request, template, context)


# --- Patients ---------------------------------------------------------------------------------


@never_cache
@require_GET
@staff_required
def cycle_start(request: HttpRequest) -> HttpResponse:
    """Patients whose day 1 is at most 3 days away, and whether the label's criteria are met."""
    rows = cycle_start_rows(user=_user(request), now=timezone.now())
    if rows:
        audit_record(
            actor=_user(request),
            action="read",
            resource="patient",
            patient_ids=(r.patient.pk for r in rows),
            detail="dashboard cycle start list",
        )
    return render(request, "dashboard/cycle_start.html", {"rows": rows})


@never_cache
@require_GET
@staff_required
@clinic_patient
def patient_detail(request: HttpRequest, patient: Patient) -> HttpResponse:
    return _patient_page(request, patient)


def _patient_page(
    request: HttpRequest,
    patient: Patient,
    timezone_form: PatientTimezoneForm | None = None,
    baseline_form: BaselineForm | None = None,
    dose_form: dose_panel.DoseDecisionForm | None = None,
    profile_form: dose_panel.ClinicalProfileForm | None = None,
    admin_forms: dict[str, Any] | None = None,
    **extra: Any,
) -> HttpResponse:
    """The patient page; a refused form is shown as sent, with its reasons (the `*_form`s, and
    `admin_forms` of backend.dashboard.patient_admin: details, care status, reminder plan)."""
    record = patient_record(patient=patient, now=timezone.now())
    # A time-zone change or a code asked for after the session had ended: offered again, filled in.
    kept_zone = kept_code = None
    if request.method == "GET":
        kept_zone = pending.take(request, reverse("dashboard:patient-timezone", kwargs={"patient_id": patient.pk}))
        kept_code = pending.take(request, reverse("dashboard:patient-code", kwargs={"patient_id": patient.pk}))
    if kept_zone is not None and timezone_form is None:
        timezone_form = PatientTimezoneForm(kept_zone)
    _audit_patient(request, patient, "read", "dashboard patient page")
    context = {
        "record": record,
        "patient": patient,
        "charts": patient_charts.rendered(record),
        "timeline": timeline(record),
        "clinic": patient.clinic,
        "timezone_form": timezone_form or PatientTimezoneForm(),
        "timezone_kept": kept_zone is not None,
        "code_kept": kept_code is not None,
        "timezones": timezone_names(),
        "sex_form": PatientSexForm(initial={"sex": patient.sex}),
        "baseline_form": baseline_form or BaselineForm(),
        "response": response_panel(patient=patient, now=timezone.now()),
        **dose_panel.context(record, dose_form, profile_form),
        **alert_panel.patient_alerts_context(record),  # the alerts' notes, decisions and bulk resolve
        **patient_admin.context(patient, admin_forms),
        **extra,
    }
    return render(request, "dashboard/patient.html", context)


@never_cache
@require_POST
@staff_required
@clinic_patient
def patient_timezone(request: HttpRequest, patient: Patient) -> HttpResponse:
    """Move the patient to another zone (the service re-times their reminders and audits it). A
    name that is not a zone shows the patient page again with the form open and the reason."""
    form = PatientTimezoneForm(request.POST)
    if form.is_valid():
        name = form.cleaned_data["timezone"]
        unchanged = name == patient.timezone
        try:
            patient_timezone_change(patient=patient, timezone_name=name, changed_by=_user(request))
        except ApplicationError as exc:
            form.add_service_errors(exc.errors)
        else:
            messages.success(request, (TIMEZONE_UNCHANGED if unchanged else TIMEZONE_CHANGED).format(zone=name))
            return redirect("dashboard:patient", patient_id=patient.pk)
    return _patient_page(request, patient, timezone_form=form)


@never_cache
@require_POST
@staff_required
@clinic_patient
def patient_sex(request: HttpRequest, patient: Patient) -> HttpResponse:
    """Record the sex whose default reference limits apply (or clear it); audited by the service."""
    form = PatientSexForm(request.POST)
    if form.is_valid():
        sex = form.cleaned_data["sex"]
        patient_sex_change(patient=patient, sex=sex, changed_by=_user(request))
        sex_words = dict(SEX_CHOICES).get(sex) if sex else _("not recorded (the stricter limits)")
        messages.success(request, SEX_CHANGED.format(sex=sex_words or sex))
    return redirect("dashboard:patient", patient_id=patient.pk)


@never_cache
@require_POST
@staff_required
@clinic_patient
def patient_baseline(request: HttpRequest, patient: Patient) -> HttpResponse:
    """Enter a lab baseline; a refused one shows the page again with the form open and the reason."""
    form = BaselineForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            baseline_enter(
                patient=patient,
                analyte=data["analyte"],
                value=data["value"],
                unit=data["unit"],
                reference_high=data["reference_high"],
                collected_on=data["collected_on"],
                entered_by=_user(request),
            )
        except ApplicationError as exc:
            form.add_service_errors(exc.errors)
        else:
            messages.success(
                request, BASELINE_ENTERED.format(analyte=dict(form.fields["analyte"].choices)[data["analyte"]])
            )
            return redirect("dashboard:patient", patient_id=patient.pk)
    return _patient_page(request, patient, baseline_form=form)


@never_cache
@require_POST
@staff_required
@clinic_patient
def patient_baseline_clear(request: HttpRequest, patient: Patient, analyte: str) -> HttpResponse:
    if baseline_clear(patient=patient, analyte=analyte, cleared_by=_user(request)):
        messages.success(request, BASELINE_CLEARED.format(analyte=analyte))
    return redirect("dashboard:patient", patient_id=patient.pk)


@never_cache
@require_POST
@staff_required
@clinic_patient
def patient_dose_decision(request: HttpRequest, patient: Patient) -> HttpResponse:
    """Record the nurse's decision; a refused one shows the page again with the form open."""
    form = dose_panel.DoseDecisionForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            dose_decisions.dose_decision_record(
                patient=patient,
                data=dose_decisions.DecisionInput(
                    action=data["action"],
                    drug=data["drug"] or "",
                    toxicity=data["toxicity"] or "",
                    grade=data["grade"],
                    delay_days=data["delay_days"],
                    reason=data["reason"],
                    suggested=data["suggested"],
                    subject=data["subject"],
                    seen=data["seen"],
                ),
                decided_by=_user(request),
            )
        except ApplicationError as exc:
            form.add_service_errors(exc.errors)
        else:
            messages.success(request, DOSE_DECIDED)
            return redirect("dashboard:patient", patient_id=patient.pk)
    return _patient_page(request, patient, dose_form=form)


@never_cache
@require_POST
@staff_required
@clinic_patient
def patient_clinical_profile(request: HttpRequest, patient: Patient) -> HttpResponse:
    """Birth year, weight, dialysis, can become pregnant; a refused value shows the page again."""
    form = dose_panel.ClinicalProfileForm(request.POST, patient=patient)
    if form.is_valid():
        data = form.cleaned_data
        try:
            patient_clinical_profile_change(
                patient=patient,
                profile=ClinicalProfile(
                    birth_year=data["birth_year"],
                    weight_kg=data["weight_kg"],
                    on_dialysis=data["on_dialysis"],
                    can_become_pregnant={"yes": True, "no": False}.get(data["can_become_pregnant"]),
                ),
                changed_by=_user(request),
                today=timezone.localdate(),
            )
        except ApplicationError as exc:
            form.add_service_errors(exc.errors)
        else:
            messages.success(request, PROFILE_SAVED)
            return redirect("dashboard:patient", patient_id=patient.pk)
    return _patient_page(request, patient, profile_form=form)


@never_cache
@require_POST
@staff_required
@clinic_patient
def patient_device_signout(request: HttpRequest, patient: Patient, device_id: int) -> HttpResponse:
    """Sign one of the patient's phones out (lost, stolen, replaced); the service audits it."""
    device = next((d for d in patient_devices(patient) if d.pk == device_id), None)
    if device is not None and patient_device_revoke(patient=patient, device_id=device_id, revoked_by=_user(request)):
        messages.success(
            request, DEVICE_SIGNED_OUT.format(device=device.device_name or _("The phone"), patient=patient.display_name)
        )
    else:
        messages.info(request, DEVICE_GONE)
    return redirect("dashboard:patient", patient_id=patient.pk)


@never_cache
@require_POST
@staff_required
@clinic_patient
def patient_markers(request: HttpRequest, patient: Patient) -> HttpResponse:
    """A day's response markers from the panel's form, stored as the API stores them (one item per
    marker filled in, all or nothing); the reasons of a refusal are shown above the panel."""
    items: list[dict[str, Any]] = []
    try:
        items = markers_from_form(request.POST, patient=patient)
        markers_record(patient=patient, body=items, user=_user(request), now=timezone.now())
    except ApplicationError as exc:
        problems = exc.errors if isinstance(exc.errors, dict) else {}
        if isinstance(exc.errors, list):
            for entry, item in zip(exc.errors, items, strict=False):
                for field, reasons in entry.items():
                    problems[f"{item['marker']} {field}"] = reasons
        why = "; ".join(f"{k}: {' '.join(v)}" for k, v in problems.items())
        messages.error(request, _("Not saved: %(why)s") % {"why": why})
    else:
        said = ngettext(
            "Saved %(count)d marker result; the response is recomputed.",
            "Saved %(count)d marker results; the response is recomputed.",
            len(items),
        )
        messages.success(request, said % {"count": len(items)})
    return redirect(reverse("dashboard:patient", kwargs={"patient_id": patient.pk}) + "#response")


CODE_KEY = "careloop_code"  # the code just issued, until its page is shown (post/redirect/get)


def _code_issued(request: HttpRequest, patient: Patient, code: str, *, new: bool) -> HttpResponse:
    """Keep the new code for its page and go there: a reload of that page sends no form again, so
    it never enrolls a second patient or issues another code."""
    request.session[CODE_KEY] = {"patient": str(patient.pk), "code": code, "new": new}
    return redirect("dashboard:patient-code", patient_id=patient.pk)


@never_cache
@require_http_methods(["GET", "POST"])
@staff_required
@clinic_patient
def patient_code(request: HttpRequest, patient: Patient) -> HttpResponse:
    """POST issues a new code (earlier unused ones stop working); GET shows the code just issued,
    once: shown again (a reload, the back button) it is gone, and the page offers a new one."""
    if request.method == "POST":
        code = enrollment_code_issue(patient=patient, issued_by=_user(request))
        audit_record(
            actor=_user(request),
            action="create",
            resource="enrollment_code",
            patient_ids=[patient.pk],
            object_id=str(patient.pk),
        )
        return _code_issued(request, patient, code, new=False)
    issued = request.session.get(CODE_KEY)
    shown = issued if isinstance(issued, dict) and issued.get("patient") == str(patient.pk) else None
    if shown is not None:
        del request.session[CODE_KEY]
    _audit_patient(request, patient, "read", "enrollment code page")
    code = shown["code"] if shown else ""
    context = {
        "patient": patient,
        "code": code,
        "qr": qr_svg(code, label=f"QR code of the enrollment code {code}") if code else "",
        "new_patient": bool(shown and shown["new"]),
        "ttl_hours": settings.ENROLLMENT_CODE_TTL_HOURS,
        "devices": [] if shown and shown["new"] else patient_devices(patient),  # signed out once the code is used
    }
    return render(request, "dashboard/enrolled.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
@staff_required
def enroll(request: HttpRequest) -> HttpResponse:
    kept = pending.take(request, request.path) if request.method == "GET" else None
    form = EnrollForm(request.POST or kept)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            patient, code = patient_create(
                nurse=_user(request),
                display_name=data["display_name"],
                timezone_name=data["timezone"],
                phone=data["phone"],
                sex=data["sex"],
                can_become_pregnant={"yes": True, "no": False}.get(data["can_become_pregnant"]),
                mrn=data["mrn"],
                date_of_birth=data["date_of_birth"],
                regimen_input=RegimenInput(
                    data["start_date"], data["ixazomib_mg"], data["lenalidomide_mg"], data["dexamethasone_mg"]
                ),
            )
        except ApplicationError as exc:
            form.add_service_errors(exc.errors)
        else:
            _audit_patient(request, patient, "create", "enrolled from the dashboard")
            return _code_issued(request, patient, code, new=True)
    context = {"form": form, "timezones": timezone_names(), "kept": kept is not None}
    return render(request, "dashboard/enroll.html", context)


# --- Admin ------------------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
@admin_required
def clinic_settings(request: HttpRequest) -> HttpResponse:
    clinic = _clinic(request)
    form = ClinicSettingsForm(request.POST or None, clinic=clinic)
    if request.method == "POST" and form.is_valid():
        try:
            clinic_settings_update(clinic=clinic, actor=_user(request), settings=form.settings())
        except ApplicationError as exc:
            for key, reasons in exc.errors.items():
                form.add_error(key if key in form.fields else None, " ".join(reasons))
        else:
            messages.success(request, _("Clinic settings saved."))

            return redirect("dashboard:clinic-settings")
    return render(
        request, "dashboard/clinic_settings.html", {"form": form, "clinic": clinic, "default_policy": DEFAULT_POLICY}
    )


@never_cache
@require_GET
@staff_required
def outcomes(request: HttpRequest) -> HttpResponse:
    """The clinic's response outcomes, counts only (no patient data, so nothing to audit)."""
    found = clinic_outcomes(clinic_id=_clinic(request).pk)
    if request.GET.get("format") == "csv":
        response = HttpResponse(outcomes_csv(found), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="careloop-response-outcomes.csv"'
        return response
    return render(request, "dashboard/outcomes.html", {"outcomes": found})


@never_cache
@require_GET
@admin_required
def audit_trail(request: HttpRequest) -> HttpResponse:
    clinic = _clinic(request)
    patients = clinic_patient_choices(clinic_id=clinic.pk)
    form = AuditFilterForm(request.GET or None, patients=patients)
    filters = form.filters() if request.GET else AuditFilters()
    events = audit_events_for_clinic(clinic_id=clinic.pk, filters=filters)
    page = Paginator(events, AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    names = patient_names(clinic_id=clinic.pk, ids=[e.patient_id for e in page])
    patient_id = filters.patient_id
    if patient_id is not None:
        names |= patient_names(clinic_id=clinic.pk, ids=[patient_id])
    audit_record(
        actor=_user(request),
        action="read",
        resource="audit_event",
        patient_ids=[patient_id],
        detail=f"audit trail page {page.number}",
    )
    # The pager keeps the filters: the query string without its page.
    kept = request.GET.copy()
    kept.pop("page", None)
    context = {
        "page": page,
        "names": names,
        "form": form,
        "filtered": any(v for k, v in request.GET.items() if k != "page"),
        "filter_query": kept.urlencode(),
        "patient_id": patient_id,
        "patient_name": names.get(patient_id) if patient_id else None,
    }
    return render(request, "dashboard/audit.html", context)
