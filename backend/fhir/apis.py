"""The FHIR R4 endpoints of contract §6, thin: parse the query, call a selector or service, audit
who read or wrote which patient's data, answer FHIR JSON."""

from __future__ import annotations

from urllib.parse import urlencode

from django.utils import timezone
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from backend.audit.services import audit_record
from backend.fhir import selectors
from backend.fhir.http import FhirApi, refuse
from backend.fhir.ingest import bundle_ingest
from backend.fhir.resources.bundle import searchset
from backend.fhir.resources.capability_statement import capability_statement
from backend.fhir.resources.patient import patient_resource
from backend.records.models import LabResult
from backend.response.models import MarkerResult, ResponseAssessment

DEFAULT_PAGE = 500


def _paging(request: Request) -> tuple[int, int]:
    try:
        count = int(request.query_params.get("_count", DEFAULT_PAGE))
        offset = int(request.query_params.get("_offset", 0))
    except ValueError:
        raise refuse(400, "value", "_count and _offset must be whole numbers.", "_count") from None
    if not 1 <= count <= selectors.MAX_PAGE or offset < 0:
        raise refuse(400, "value", f"_count must be 1-{selectors.MAX_PAGE} and _offset at least 0.", "_count")
    return count, offset


def _searchset(request: Request, path: str, segments: list[selectors.Segment], params: dict[str, object]) -> Response:
    count, offset = _paging(request)
    total, resources = selectors.page(segments, offset, count)
    base = request.build_absolute_uri("/fhir/")

    def url(at: int) -> str:
        return request.build_absolute_uri(
            f"/fhir/{path}?" + urlencode({**params, "_count": count, "_offset": at}, doseq=True)
        )

    entries = [(f"{base}{r['resourceType']}/{r['id']}", r) for r in resources]
    next_url = url(offset + count) if offset + count < total else None
    return Response(searchset(entries=entries, total=total, self_url=url(offset), next_url=next_url))


class MetadataApi(FhirApi):
    """GET /fhir/metadata: public, as FHIR clients expect (SMART App Launch has servers answer it
    without authorization): it tells a client what is served and how to sign in."""

    permission_classes = [AllowAny]
    authentication_classes = []

    def get(self, request: Request) -> Response:
        base = request.build_absolute_uri("/fhir/")
        return Response(capability_statement(base_url=base, date=timezone.now().date().isoformat()))


class PatientReadApi(FhirApi):
    def get(self, request: Request, patient_id: str) -> Response:
        patient = selectors.fhir_patient(request.user, patient_id)  # type: ignore[arg-type]
        audit_record(
            actor=request.user,
            action="read",
            resource="fhir_patient",  # type: ignore[arg-type]
            patient_ids=[patient.pk],
            detail="FHIR Patient read",
        )
        return Response(patient_resource(patient, patient.clinic.name))


class PatientEverythingApi(FhirApi):
    def get(self, request: Request, patient_id: str) -> Response:
        patient = selectors.fhir_patient(request.user, patient_id)  # type: ignore[arg-type]
        audit_record(
            actor=request.user,
            action="read",
            resource="fhir_everything",  # type: ignore[arg-type]
            patient_ids=[patient.pk],
            detail="FHIR Patient/$everything",
        )
        return _searchset(request, f"Patient/{patient.pk}/$everything", selectors.everything_segments(patient), {})


def _patient_param(request: Request) -> str:
    value = request.query_params.get("patient") or request.query_params.get("subject")
    if not value:
        raise refuse(400, "required", "The patient search parameter is required.", "patient")
    return value


class ObservationSearchApi(FhirApi):
    def get(self, request: Request) -> Response:
        patient = selectors.fhir_patient(request.user, _patient_param(request))  # type: ignore[arg-type]
        codes = request.query_params.getlist("code")
        dates = request.query_params.getlist("date")
        analytes = selectors.analytes_for_codes(codes)
        labs = LabResult.objects.filter(patient=patient)
        if analytes is not None:
            labs = labs.filter(analyte__in=analytes)
        labs = selectors.date_filter(labs, dates)
        segments = [selectors.lab_segment(labs, patient.sex)]
        markers = selectors.markers_for_codes(codes)
        if markers is None or markers:
            found = MarkerResult.objects.filter(patient=patient)
            found = found if markers is None else found.filter(marker__in=markers)
            segments.append(selectors.marker_segment(selectors.date_filter(found, dates)))
        if analytes is None and not dates:
            segments.append(selectors.symptom_segment(patient))
        if analytes is None or selectors.disease_status_wanted(codes):
            assessments = selectors.day_filter(ResponseAssessment.objects.filter(patient=patient), dates)
            segments.append(selectors.disease_status_segment(patient, assessments))
        audit_record(
            actor=request.user,
            action="read",
            resource="fhir_observation",  # type: ignore[arg-type]
            patient_ids=[patient.pk],
            detail="FHIR Observation search",
        )
        params: dict[str, object] = {"patient": str(patient.pk)}
        if codes:
            params["code"] = codes
        if dates:
            params["date"] = dates
        return _searchset(request, "Observation", segments, params)


class MedicationAdministrationSearchApi(FhirApi):
    def get(self, request: Request) -> Response:
        patient = selectors.fhir_patient(request.user, _patient_param(request))  # type: ignore[arg-type]
        audit_record(
            actor=request.user,
            action="read",
            resource="fhir_medication",  # type: ignore[arg-type]
            patient_ids=[patient.pk],
            detail="FHIR MedicationAdministration search",
        )
        return _searchset(
            request, "MedicationAdministration", [selectors.dose_segment(patient)], {"patient": str(patient.pk)}
        )


class SystemApi(FhirApi):
    """POST /fhir/: a transaction or batch Bundle of laboratory Observations (backend.fhir.ingest)."""

    def post(self, request: Request) -> Response:
        answer = bundle_ingest(user=request.user, body=request.data, now=timezone.now())  # type: ignore[arg-type]
        return Response(answer, status=200)
