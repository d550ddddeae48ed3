"""The one-page PDF summary of a patient's last cycle, for the clinic visit (issue 16 §4).

A read of patient data like the patient page: the clinic's nurses and admins only (any other
patient is a 404), audited as a read of the patient. The file is an attachment named by the cycle
only (careloop-summary-C4.pdf: a downloads folder or a mail subject shows no patient's name), and
no browser or proxy keeps it (Cache-Control: no-store)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from backend.accounts.models import User
from backend.audit.services import audit_record
from backend.dashboard.access import staff_required
from backend.dashboard.cycle_summary import cycle_summary
from backend.dashboard.summary_pdf import summary_pdf
from backend.dashboard.views import clinic_patient
from backend.patients.models import Patient


def summary_filename(cycle: int | None) -> str:
    return f"careloop-summary-C{cycle}.pdf" if cycle else "careloop-summary.pdf"


@never_cache
@require_GET
@staff_required
@clinic_patient
def patient_summary_pdf(request: HttpRequest, patient: Patient) -> HttpResponse:
    summary = cycle_summary(patient=patient, now=timezone.now())
    pdf = summary_pdf(summary)
    assert isinstance(request.user, User)
    audit_record(
        actor=request.user,
        action="read",
        resource="patient",
        patient_ids=[patient.pk],
        object_id=str(patient.pk),
        detail=f"cycle summary PDF, cycle {summary.cycle or '-'}",
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{summary_filename(summary.cycle)}"'
    response["Cache-Control"] = "no-store"
    return response
