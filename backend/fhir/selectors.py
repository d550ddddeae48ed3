"""What the FHIR reads return: a patient's records as resources, paged by offset over one fixed
order (Patient, the regimen's CarePlan and MedicationRequests, lab and marker Observations, symptom
Observations and QuestionnaireResponses, dose MedicationAdministrations, the IMWG assessments as
disease-status Observations, alerts as DetectedIssues;
each oldest first), so that a page costs queries for its own rows only."""

from __future__ import annotations

import uuid
from collections import defaultdict, namedtuple
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Q, QuerySet

from backend.accounts.models import User
from backend.alerts.models import Alert
from backend.fhir.codes import DISEASE_STATUS_LOINC, LOINC
from backend.fhir.http import refuse
from backend.fhir.resources.base import Json
from backend.fhir.resources.care_plan import regimen_resources
from backend.fhir.resources.detected_issue import detected_issue
from backend.fhir.resources.disease_status import disease_status_observation
from backend.fhir.resources.medication_administration import medication_administration
from backend.fhir.resources.observation import lab_observation, marker_observation, symptom_observation
from backend.fhir.resources.patient import patient_resource
from backend.fhir.resources.questionnaire_response import questionnaire_response
from backend.fhir.sql_text import FhirId, FhirInstant
from backend.patients.models import Patient
from backend.records.models import DoseLog, LabResult, SymptomReport
from backend.response.models import MarkerResult, ResponseAssessment
from shared.analytes import ANALYTES
from shared.markers import MARKERS

MAX_PAGE = 2000


def fhir_patients(user: User) -> QuerySet[Patient]:
    """The patients a FHIR client sees: its clinic's (backend.fhir.http.FHIR_ROLES checked the role)."""
    if user.clinic_id is None:
        return Patient.objects.none()
    return Patient.objects.filter(clinic_id=user.clinic_id)


def fhir_patient(user: User, patient_id: str) -> Patient:
    """A patient of the caller's clinic, or a 404 (another clinic's is not told apart)."""
    try:
        pk = uuid.UUID(patient_id.removeprefix("Patient/"))
    except ValueError:
        pk = None  # a malformed id is a patient that does not exist
    patient = fhir_patients(user).select_related("clinic").filter(pk=pk).first() if pk else None
    if patient is None:
        raise refuse(404, "not-found", f"No patient {patient_id!r} in your clinic.")
    return patient


@dataclass(frozen=True)
class Segment:
    """Rows of one query in order; each row yields `per_row` resources."""

    rows: QuerySet[Any] | None
    build: Callable[[Any], list[Json]]
    per_row: int = 1
    fixed: list[Json] | None = None  # resources that need no query (the Patient)
    # Builds a slice's rows together, for a mapping that reads one more query per page (the
    # disease status's marker references), not one per row.
    build_rows: Callable[[list[Any]], list[Json]] | None = None

    def slice(self, start: int, stop: int) -> list[Json]:
        if self.fixed is not None:
            return self.fixed[start:stop]
        if self.build_rows is not None:
            assert self.rows is not None and self.per_row == 1
            return self.build_rows(list(self.rows[start:stop]))
        first, last = start // self.per_row, -(-stop // self.per_row)
        assert self.rows is not None
        built = [r for row in self.rows[first:last] for r in self.build(row)]
        skip = start - first * self.per_row
        return built[skip : skip + stop - start]


def _sizes(segments: list[Segment]) -> list[int]:
    """How many resources each segment holds, counted in one query: a round trip per segment cost
    more than the counting on a loaded machine (bench 8)."""
    counts, params = [], []
    for i, segment in enumerate(s for s in segments if s.rows is not None):
        try:
            sql, found = segment.rows.order_by().values("pk").query.sql_with_params()  # type: ignore[union-attr]
        except EmptyResultSet:  # a filter that matches nothing by construction, e.g. `analyte__in=[]`
            counts.append("0")
            continue
        counts.append(f"(SELECT COUNT(*) FROM ({sql}) AS segment{i})")  # noqa: S608 - compiled SQL, bound params
        params.extend(found)
    queried: list[int] = []
    if counts:
        with connection.cursor() as cursor:
            cursor.execute("SELECT " + ", ".join(counts), params)
            queried = list(cursor.fetchone())
    sizes = iter(queried)
    return [len(s.fixed or []) if s.rows is None else next(sizes) * s.per_row for s in segments]


def page(segments: list[Segment], offset: int, count: int) -> tuple[int, list[Json]]:
    """(total, the resources from `offset`, at most `count`)."""
    total, out = 0, []
    for segment, size in zip(segments, _sizes(segments), strict=True):
        lo, hi = max(offset - total, 0), min(offset + count - total, size)
        if lo < hi:
            out.extend(segment.slice(lo, hi))
        total += size
    return total, out


def everything_segments(patient: Patient) -> list[Segment]:
    sex = patient.sex
    return [
        Segment(None, list, fixed=[patient_resource(patient, patient.clinic.name), *regimen_resources(patient)]),
        lab_segment(LabResult.objects.filter(patient=patient), sex),
        marker_segment(MarkerResult.objects.filter(patient=patient)),
        Segment(
            _rows(SymptomReport.objects.filter(patient=patient).order_by("reported_at", "id"), _SYMPTOM_FIELDS),
            lambda r: [symptom_observation(row := _SymptomRow._make(r)), questionnaire_response(row)],
            per_row=2,
        ),
        dose_segment(patient),
        disease_status_segment(patient, ResponseAssessment.objects.filter(patient=patient)),
        Segment(Alert.objects.filter(patient=patient).order_by("created_at", "id"), lambda a: [detected_issue(a)]),
    ]


# The columns each mapping reads. Rows are read as these values, not model instances: building
# 2,000 instances cost a third of a two-year `$everything` (bench/README.md, bench 8). Timestamps
# and ids come as the text the database writes (backend.fhir.sql_text), as the mappings' rows.
_LAB_FIELDS = (
    "id", "patient_id", "analyte", "value", "unit", "reference_low", "reference_high", "collected_at",
    "received_at", "grade", "source",
)  # fmt: skip
_SYMPTOM_FIELDS = ("id", "patient_id", "symptom", "answers", "reported_at", "received_at", "grade")
_DOSE_FIELDS = ("id", "patient_id", "drug", "status", "taken_at")
_INSTANTS = frozenset({"collected_at", "received_at", "reported_at", "taken_at"})
_IDS = frozenset({"id", "patient_id"})
_LabRow = namedtuple("_LabRow", _LAB_FIELDS)  # type: ignore[misc]  # built from the field names
_SymptomRow = namedtuple("_SymptomRow", _SYMPTOM_FIELDS)  # type: ignore[misc]
_DoseRow = namedtuple("_DoseRow", _DOSE_FIELDS)  # type: ignore[misc]


def _rows(rows: QuerySet[Any], fields: tuple[str, ...]) -> QuerySet[Any]:
    """The rows as tuples of these columns, timestamps and ids as FHIR text; the segment's build
    makes each the named row the resources/ mappings read."""
    return rows.values_list(*(FhirInstant(f) if f in _INSTANTS else FhirId(f) if f in _IDS else f for f in fields))


def lab_segment(labs: QuerySet[LabResult], sex: str) -> Segment:
    rows = _rows(labs.order_by("collected_at", "id"), _LAB_FIELDS)
    return Segment(rows, lambda r: [lab_observation(_LabRow._make(r), sex)])


def dose_segment(patient: Patient) -> Segment:
    doses = DoseLog.objects.filter(patient=patient).order_by("taken_at", "id")
    return Segment(_rows(doses, _DOSE_FIELDS), lambda r: [medication_administration(_DoseRow._make(r))])


def symptom_segment(patient: Patient) -> Segment:
    reports = SymptomReport.objects.filter(patient=patient).order_by("reported_at", "id")
    return Segment(_rows(reports, _SYMPTOM_FIELDS), lambda r: [symptom_observation(_SymptomRow._make(r))])


def disease_status_segment(patient: Patient, assessments: QuerySet[ResponseAssessment]) -> Segment:
    """The IMWG assessments as disease-status Observations, oldest first, each derived from the
    marker Observations of its day: one query for a page's markers, whatever its length."""
    zone = ZoneInfo(patient.timezone)

    def build(rows: list[ResponseAssessment]) -> list[Json]:
        if not rows:
            return []
        start = datetime.combine(rows[0].day, time.min, zone)
        end = datetime.combine(rows[-1].day + timedelta(days=1), time.min, zone)
        by_day: dict[date, list[object]] = defaultdict(list)
        markers = MarkerResult.objects.filter(patient=patient, collected_at__gte=start, collected_at__lt=end)
        for marker_id, at in markers.order_by("collected_at", "id").values_list("id", "collected_at"):
            by_day[at.astimezone(zone).date()].append(marker_id)
        return [disease_status_observation(row, by_day.get(row.day, ())) for row in rows]

    return Segment(assessments.order_by("day"), list, build_rows=build)


def disease_status_wanted(tokens: list[str]) -> bool:
    """Whether a `code` search names the disease status (LOINC 97509-4)."""
    for token in ",".join(tokens).split(","):
        system, bar, code = token.partition("|")
        if (code if bar else token) == DISEASE_STATUS_LOINC and (not bar or system in (LOINC, "")):
            return True
    return False


def analytes_for_codes(tokens: list[str]) -> list[str] | None:
    """The analytes a `code` search names (system|code or code, comma for OR); None: no code given."""
    return _keys_for_codes(tokens, {a.loinc: a.key for a in ANALYTES.values()})


def markers_for_codes(tokens: list[str]) -> list[str] | None:
    """The response markers a `code` search names by their LOINC codes (shared.markers)."""
    return _keys_for_codes(tokens, {m.loinc: m.key for m in MARKERS.values() if m.loinc})


def _keys_for_codes(tokens: list[str], by_loinc: dict[str, str]) -> list[str] | None:
    if not tokens:
        return None
    keys = []
    for token in ",".join(tokens).split(","):
        system, bar, code = token.partition("|")
        if not bar:
            system, code = LOINC, token
        if system in (LOINC, "") and code in by_loinc:
            keys.append(by_loinc[code])
    return keys


def marker_segment(markers: QuerySet[MarkerResult]) -> Segment:
    return Segment(markers.order_by("collected_at", "id"), lambda m: [marker_observation(m)])


_PREFIXES = ("eq", "ge", "gt", "le", "lt")


def date_filter(labs: QuerySet[Any], values: list[str]) -> QuerySet[Any]:
    """FHIR `date` search on collected_at (R4 Search, "date"): a date is the whole day (UTC); the
    prefixes eq (default), ge, gt, le, lt. Several values all apply (AND). Lab results or markers."""
    for raw in values:
        prefix, text = (raw[:2], raw[2:]) if raw[:2] in _PREFIXES else ("eq", raw)
        labs = labs.filter(_date_condition(prefix, *_date_range(raw, text)))
    return labs


def day_filter(assessments: QuerySet[ResponseAssessment], values: list[str]) -> QuerySet[ResponseAssessment]:
    """The same `date` search on an assessment's day (a date, so an instant stands for its UTC day)."""
    for raw in values:
        prefix, text = (raw[:2], raw[2:]) if raw[:2] in _PREFIXES else ("eq", raw)
        lo = _date_range(raw, text)[0].astimezone(UTC).date()
        hi = lo + timedelta(days=1)
        condition = {
            "ge": Q(day__gte=lo),
            "lt": Q(day__lt=lo),
            "gt": Q(day__gte=hi),
            "le": Q(day__lt=hi),
        }.get(prefix, Q(day=lo))
        assessments = assessments.filter(condition)
    return assessments


def _date_range(raw: str, text: str) -> tuple[datetime, datetime]:
    """[start, end) of a date, or (t, t) for an instant."""
    try:
        if len(text) == 10:
            start = datetime.combine(date.fromisoformat(text), time.min, UTC)
            return start, start + timedelta(days=1)
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise refuse(400, "value", f"date={raw!r} is not a FHIR date search value.", "date") from None
    moment = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return moment, moment


def _date_condition(prefix: str, lo: datetime, hi: datetime) -> Q:
    day = lo != hi
    if prefix == "ge":
        return Q(collected_at__gte=lo)
    if prefix == "lt":
        return Q(collected_at__lt=lo)
    if prefix == "gt":
        return Q(collected_at__gte=hi) if day else Q(collected_at__gt=lo)
    if prefix == "le":
        return Q(collected_at__lt=hi) if day else Q(collected_at__lte=lo)
    return Q(collected_at__gte=lo, collected_at__lt=hi) if day else Q(collected_at=lo)
