"""The endpoint every dashboard page polls (static/dashboard/announce.js) to announce a new critical
alert wherever the nurse is: a banner, an optional sound, an optional browser notification.

It answers counts and a time, never an id or a name, so it is not a read of patient data: settings.
CARELOOP_AUDIT_EXEMPT_VIEWS lists it, and polling every few seconds from every open page leaves no
audit rows (a refusal is still recorded, as everywhere). Polls carry X-CareLoop-Poll, so they do not
keep an idle session alive (backend.dashboard.middleware); once it has expired, staff_required answers
the poll with HX-Redirect to the sign-in page, as it does the queue's."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from backend.accounts.models import User
from backend.dashboard.access import staff_required
from backend.dashboard.announce import critical_announcement
from backend.dashboard.counts import queue_counts

# As often as the open queue asks for changes (backend.dashboard.views.POLL_SECONDS_DEFAULT).
POLL_SECONDS_DEFAULT = 5


@never_cache
@require_GET
@staff_required
def critical_alerts(request: HttpRequest) -> HttpResponse:
    """{"critical": n, "arrived": ms, "text": "...", "version": v, "poll_seconds": s} for the nurse's
    clinic. Sent back as `?v=`, an unchanged version is answered 204 after the queue's header counts
    (queue_counts: one query on PostgreSQL, two on SQLite)."""
    user = request.user
    assert isinstance(user, User) and user.clinic_id is not None
    counts = queue_counts(clinic_id=user.clinic_id)
    if request.GET.get("v") == counts.version:
        return HttpResponse(status=204)
    found = critical_announcement(clinic_id=user.clinic_id, counts=counts)
    text = ngettext(
        "%(count)d critical alert waits for a nurse.",
        "%(count)d critical alerts wait for a nurse.",
        found.open_critical,
    ) % {"count": found.open_critical}
    return JsonResponse(
        {
            "critical": found.open_critical,
            "arrived": found.arrived_ms,
            "text": text,
            "version": found.version,
            "poll_seconds": getattr(settings, "CARELOOP_DASHBOARD_POLL_SECONDS", POLL_SECONDS_DEFAULT),
        }
    )
