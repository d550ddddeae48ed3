"""The clinic's figures (issue 16 §5) for its nurses and admins: the page and its CSV.

Counts only, no patient named: not a read of patient data, so the audit middleware's generic row
(who looked at the clinic's figures, when, no patient ids) is all it leaves, as for Outcomes."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from backend.accounts.models import User
from backend.core.errors import ApplicationError
from backend.dashboard.access import staff_required
from backend.metrics.period import DEFAULT_DAYS, period_parse
from backend.metrics.report import (
    ADHERENCE_DEFINITION,
    LAB_DRAW_DEFINITION,
    RESPONSE_TEST_DEFINITION,
    metrics_csv,
    metrics_payload,
    metrics_rows,
)
from backend.metrics.selectors import clinic_metrics


@never_cache
@require_GET
@staff_required
def metrics(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User) and user.clinic_id is not None
    now = timezone.now()
    asked = {"from": request.GET.get("from", ""), "to": request.GET.get("to", "")}
    try:
        period = period_parse(asked, today=now.date(), blank_is_default=True)
    except ApplicationError as error:
        context = {"asked": asked, "errors": error.errors, "default_days": DEFAULT_DAYS}
        return render(request, "dashboard/metrics.html", context, status=400)
    found = clinic_metrics(clinic_id=user.clinic_id, period=period, now=now)
    if request.GET.get("format") == "csv":
        response = HttpResponse(metrics_csv(metrics_payload(found)), content_type="text/csv; charset=utf-8")
        name = f"careloop-metrics-{period.first.isoformat()}-{period.last.isoformat()}.csv"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    rows = metrics_rows(found)
    sections = {}
    for row in rows:
        sections.setdefault(row.section, []).append(row)
    context = {
        "metrics": found,
        "sections": sections,
        "asked": {"from": period.first.isoformat(), "to": period.last.isoformat()},
        "errors": {},
        "default_days": DEFAULT_DAYS,
        "definitions": (ADHERENCE_DEFINITION, RESPONSE_TEST_DEFINITION, LAB_DRAW_DEFINITION),
    }
    return render(request, "dashboard/metrics.html", context)
