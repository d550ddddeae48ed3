"""Patient administration pages (issue 16 §2): the patients list with its search and sorting, and,
on the patient page, the patient's details, care status (active, paused, discharged) and reminder
plan. Each form posts, is checked by a service, and redirects (post/redirect/get); a refused one
shows the patient page again with the form open and the reasons.

No patient data in URLs: the search is posted (a name, an MRN or a date of birth in a query string
would sit in browser history, proxies' and the server's access logs), kept in the session, and the
list (GET) reads it from there. Only the status filter, the sort and the page are in the URL."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from backend.audit.services import audit_record
from backend.core.errors import ApplicationError
from backend.dashboard import pending
from backend.dashboard.access import staff_required
from backend.dashboard.patient_admin_forms import (
    CareStatusForm,
    PatientDetailsForm,
    PatientSearchForm,
    ReminderPlanForm,
)
from backend.dashboard.patients import DEFAULT_STATUS, SORTS, STATUS_FILTERS, patient_list
from backend.dashboard.views import _page_number, _patient_page, _user, clinic_patient
from backend.patients.care_status import patient_care_status_change
from backend.patients.details import PatientDetails, patient_details_change
from backend.patients.models import CareStatus, Patient
from backend.reminders.plan_edit import reminder_plan_change

#: The patients list's search, kept in the session (never in the URL).
SEARCH_KEY = "careloop_patient_search"
#: Each sortable column and the direction its first click sorts in.
SORT_FIRST = {"name": "name", "cycle": "-cycle", "alerts": "-alerts", "last": "-last"}


def _status(raw: str | None) -> str:
    return raw if raw in STATUS_FILTERS else DEFAULT_STATUS


def _sort(raw: str | None) -> str:
    return raw if raw and raw.removeprefix("-") in SORTS else ""


def _query(status: str, sort: str, **more: object) -> str:
    """The list's query string for these choices, defaults left out ("" for none)."""
    kept = {"status": status if status != DEFAULT_STATUS else "", "sort": sort} | more
    return urlencode({k: v for k, v in kept.items() if v not in ("", None)})


def _sort_links(status: str, sort: str) -> dict[str, dict[str, str]]:
    """For each sortable column: the link that sorts by it (again: the other way) and its aria-sort."""
    links = {}
    for key, first in SORT_FIRST.items():
        if sort == key:
            target, aria = f"-{key}", "ascending"
        elif sort == f"-{key}":
            target, aria = key, "descending"
        else:
            target, aria = first, "none"
        links[key] = {"href": "?" + _query(status, target), "aria": aria}
    return links


@never_cache
@require_GET
@staff_required
def patients(request: HttpRequest) -> HttpResponse:
    """The nurse's patients, a page at a time: in care (active and paused) unless `?status=` asks
    for the discharged or all; the search posted last (patients_search) from the session."""
    search = request.session.get(SEARCH_KEY, "")
    search = search if isinstance(search, str) else ""
    kept = pending.take(request, reverse("dashboard:patients-search"))  # posted after the session ended
    status, sort = _status(request.GET.get("status")), _sort(request.GET.get("sort"))
    listing = patient_list(
        user=_user(request),
        now=timezone.now(),
        search=search,
        status=status,
        sort=sort,
        page=_page_number(request.GET.get("page")),
    )
    audit_record(  # no row for an empty list, which showed nobody
        actor=_user(request),
        action="read",
        resource="patient",
        patient_ids=(r.patient.pk for r in listing.rows),
        detail="dashboard patient list",
    )
    query = _query(status, sort)
    context = {
        "listing": listing,
        "rows": listing.rows,
        "q": search,
        "search_form": PatientSearchForm(kept if kept is not None else {"q": search}),
        "search_kept": kept is not None,
        "status": status,
        "status_choices": [
            (key, label, "?" + _query(key, sort))
            for key, label in (
                ("current", _("In care")),
                ("paused", _("Paused")),
                ("discharged", _("Discharged")),
                ("all", pgettext("patients", "All")),
            )
        ],
        "sort": sort,
        "sort_links": _sort_links(status, sort),
        "kept": query + "&" if query else "",  # the pager keeps the filter and the sort
    }
    return render(request, "dashboard/patients.html", context)


@never_cache
@require_POST
@staff_required
def patients_search(request: HttpRequest) -> HttpResponse:
    """Keep the search (or clear it, empty) in the session, and show the list's first page."""
    form = PatientSearchForm(request.POST)
    search = form.cleaned_data["q"].strip() if form.is_valid() else ""
    if search:
        request.session[SEARCH_KEY] = search
    else:
        request.session.pop(SEARCH_KEY, None)
    query = _query(_status(request.POST.get("status")), _sort(request.POST.get("sort")))
    return redirect(reverse("dashboard:patients") + ("?" + query if query else ""))


@never_cache
@require_POST
@staff_required
@clinic_patient
def patient_details(request: HttpRequest, patient: Patient) -> HttpResponse:
    """Name, MRN, date of birth, sex and weight; patients.details checks and audits them."""
    form = PatientDetailsForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            changed = patient_details_change(
                patient=patient,
                details=PatientDetails(
                    display_name=data["display_name"],
                    mrn=data["mrn"],
                    date_of_birth=data["date_of_birth"],
                    sex=data["sex"],
                    weight_kg=data["weight_kg"],
                ),
                changed_by=_user(request),
                today=timezone.localdate(),
            )
        except ApplicationError as exc:
            form.add_service_errors(exc.errors)
        else:
            if changed:
                labels = ", ".join(str(form.fields[name].label).lower() for name in changed)
                messages.success(request, _("Details saved: %(fields)s.") % {"fields": labels})
            else:
                messages.info(request, _("Nothing changed."))
            return redirect("dashboard:patient", patient_id=patient.pk)
    return _patient_page(request, patient, admin_forms={"details_form": form})


STATUS_SAID = {
    CareStatus.ACTIVE: gettext_lazy("Active again: reminders are planned from now and new readings raise alerts."),
    CareStatus.PAUSED: gettext_lazy(
        "Paused: no reminders, alerts, caregiver messages or escalations until resumed. Readings are still kept."
    ),
    CareStatus.DISCHARGED: gettext_lazy(
        "Discharged: no reminders, alerts, caregiver messages or escalations. Readings are still kept."
    ),
}


@never_cache
@require_POST
@staff_required
@clinic_patient
def patient_care_status(request: HttpRequest, patient: Patient) -> HttpResponse:
    """Pause, discharge or resume the patient (patients.care_status says what each one stops)."""
    form = CareStatusForm(request.POST)
    if form.is_valid():
        status = form.cleaned_data["status"]
        unchanged = status == patient.care_status
        try:
            patient_care_status_change(
                patient=patient, status=status, reason=form.cleaned_data["reason"], changed_by=_user(request)
            )
        except ApplicationError as exc:
            form.add_service_errors(exc.errors)
        else:
            if unchanged:
                messages.info(request, _("The status is already %(status)s: nothing changed.") % {"status": status})
            else:
                messages.success(request, str(STATUS_SAID[CareStatus(status)]))
            return redirect("dashboard:patient", patient_id=patient.pk)
    return _patient_page(request, patient, admin_forms={"status_form": form})


@never_cache
@require_POST
@staff_required
@clinic_patient
def patient_reminder_plan(request: HttpRequest, patient: Patient) -> HttpResponse:
    """The reminder plan's times, antiviral drug and day-14 draws, checked and applied as the API's
    plan update does (pending reminders re-timed at once in the patient's zone); audited."""
    form = ReminderPlanForm(request.POST)
    if form.is_valid():
        try:
            changed = reminder_plan_change(patient=patient, actor=_user(request), changes=form.changes())
        except ApplicationError as exc:
            form.add_service_errors(exc.errors)
        else:
            if changed:
                messages.success(request, _("Reminder plan saved: the coming reminders follow it."))
            else:
                messages.info(request, _("Nothing changed."))
            return redirect(reverse("dashboard:patient", kwargs={"patient_id": patient.pk}) + "#reminder-plan")
    return _patient_page(request, patient, admin_forms={"plan_form": form})
