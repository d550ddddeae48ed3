"""A clinic admin's delivery log: the clinic's outside messages (email, SMS, push) with their
status, attempts and last error, what the development transport recorded of them, and sending
failed ones again (backend.notifications.delivery_log does the scoping and the work)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy, ngettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from backend.accounts.models import Clinic, User
from backend.audit.services import audit_record
from backend.core.errors import NotFound
from backend.dashboard.access import admin_required, refuse
from backend.dashboard.wording import CHANNEL_LABELS, DELIVERY_STATUS_LABELS, label_of
from backend.notifications import delivery_log
from backend.notifications.models import Channel, DeliveryStatus

PAGE_SIZE = 50
QUEUED_ONE = gettext_lazy("Queued again: it goes out within a minute if the notifier is running.")
QUEUED_NONE = gettext_lazy("That delivery is no longer failed or unconfirmed: nothing to send again.")
RESUMED = gettext_lazy("{person}'s {channel} is in use again: their next messages go out on it.")
NOT_STOPPED = gettext_lazy("That channel was not stopped: nothing changed.")
QUEUED_MANY = ngettext_lazy(
    "%(n)d failed delivery queued again: it goes out within a minute if the notifier is running.",
    "%(n)d failed deliveries queued again: they go out within a minute if the notifier is running.",
    "n",
)


class DeliveryFilterForm(forms.Form):
    status = forms.ChoiceField(
        choices=[("", gettext_lazy("Any status")), *((s, DELIVERY_STATUS_LABELS.get(s, s)) for s in DeliveryStatus)],
        required=False,
    )
    channel = forms.ChoiceField(
        choices=[("", gettext_lazy("Any channel")), *((c, CHANNEL_LABELS.get(c, c)) for c in Channel)],
        required=False,
    )


def _admin(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _clinic(request: HttpRequest) -> Clinic:
    clinic = _admin(request).clinic
    assert clinic is not None  # admin_required refuses staff without a clinic
    return clinic


@never_cache
@require_GET
@admin_required
def deliveries(request: HttpRequest) -> HttpResponse:
    clinic = _clinic(request)
    form = DeliveryFilterForm(request.GET)
    chosen = form.cleaned_data if form.is_valid() else {}
    found = delivery_log.clinic_deliveries(clinic)
    if chosen.get("status"):
        found = found.filter(status=chosen["status"])
    if chosen.get("channel"):
        found = found.filter(channel=chosen["channel"])
    page = Paginator(delivery_log.with_recipients(found), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = delivery_log.delivery_rows(list(page))
    # Whose messages these are: patients named as recipients, and the patients the messages are about.
    stopped = delivery_log.clinic_stopped_channels(clinic)
    about = [r.patient_id for r in rows] + [r.delivery.notification.patient_id for r in rows if r.delivery.notification]
    about += [s.patient_id for s in stopped]
    audit_record(
        actor=_admin(request),
        action="read",
        resource="delivery",
        patient_ids=[pid for pid in about if pid is not None] or [None],
        detail=f"delivery log page {page.number}",
    )
    kept = request.GET.copy()
    kept.pop("page", None)
    context = {
        "page": page,
        "rows": rows,
        "form": form,
        "filter_query": kept.urlencode(),
        "filtered": bool(chosen.get("status") or chosen.get("channel")),
        "failed": delivery_log.clinic_deliveries(clinic).filter(status=DeliveryStatus.FAILED).count(),
        "stopped": stopped,
    }
    return render(request, "dashboard/deliveries.html", context)


def _back(request: HttpRequest) -> str:
    """The log as it was shown (its filters and page), else the log."""
    target = request.POST.get("next", "")
    if target.startswith(reverse("dashboard:deliveries")) and url_has_allowed_host_and_scheme(
        target, {request.get_host()}, request.is_secure()
    ):
        return target
    return reverse("dashboard:deliveries")


@never_cache
@require_POST
@admin_required
def delivery_retry(request: HttpRequest, delivery_id: int) -> HttpResponse:
    try:
        queued = delivery_log.delivery_retry(clinic=_clinic(request), delivery_id=delivery_id)
    except NotFound as exc:
        return refuse(request, " ".join(exc.errors["detail"]), status=404)
    if queued:
        audit_record(
            actor=_admin(request),
            action="update",
            resource="delivery",
            patient_ids=[None],
            object_id=str(delivery_id),
            detail="queued again by a clinic admin",
        )
        messages.success(request, QUEUED_ONE)
    else:
        messages.info(request, QUEUED_NONE)
    return redirect(_back(request))


@never_cache
@require_POST
@admin_required
def deliveries_retry_failed(request: HttpRequest) -> HttpResponse:
    n = delivery_log.deliveries_retry_failed(clinic=_clinic(request))
    if n:
        audit_record(
            actor=_admin(request),
            action="update",
            resource="delivery",
            patient_ids=[None],
            detail=f"{n} failed deliveries queued again by a clinic admin",
        )
    messages.success(request, QUEUED_MANY % {"n": n})
    return redirect(_back(request))


@never_cache
@require_POST
@admin_required
def channel_resume(request: HttpRequest, user_id: int, channel: str) -> HttpResponse:
    """Turn a channel stopped by a permanent error back on for one of the clinic's people."""
    try:
        person = delivery_log.channel_resume(clinic=_clinic(request), user_id=user_id, channel=channel)
    except NotFound as exc:
        return refuse(request, " ".join(exc.errors["detail"]), status=404)
    if person is None:
        messages.info(request, NOT_STOPPED)
    else:
        patient = getattr(person, "patient", None) if person.role == "patient" else None
        audit_record(
            actor=_admin(request),
            action="update",
            resource="notification_preference",
            patient_ids=[patient.pk if patient is not None else None],
            object_id=str(person.pk),
            detail=f"{channel} turned back on by a clinic admin",
        )
        name = patient.display_name if patient is not None else person.username
        label = label_of(CHANNEL_LABELS, channel)

        messages.success(request, RESUMED.format(person=name, channel=label))
    return redirect(_back(request))
