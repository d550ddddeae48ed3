"""The patients a nurse may see: the patient list, the most pressing first (or sorted by a column),
searched by name, MRN or date of birth, a page at a time, and one patient by id."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db.models import Count, DateTimeField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, Greatest

from backend.accounts.models import User
from backend.alerts.models import Severity
from backend.dashboard.counts import UNRESOLVED
from backend.patients.calendar import calendars_for
from backend.patients.models import CareStatus, Patient
from backend.patients.selectors import patients_visible_to
from backend.patients.services import regimen_today
from backend.records.models import LabResult, SymptomReport
from backend.response.models import ClinicResponseSettings, PatientResponse
from backend.response.selectors import next_response_test
from shared.response_tests import DEFAULT_EVERY_CYCLES, NextTest
from shared.search_text import search_date, search_key

#: Rows per page. Every row costs its regimen day, its next response test and ~1 KB of HTML: a
#: clinic of 10,000 on one page was 5.6 MB and seconds to render (bench/patients_list.py).
PATIENTS_PAGE_SIZE = 50


#: Which patients the list shows (`?status=`): those in care (active and paused) unless asked.
STATUS_FILTERS = {
    "current": (CareStatus.ACTIVE, CareStatus.PAUSED),
    "paused": (CareStatus.PAUSED,),
    "discharged": (CareStatus.DISCHARGED,),
    "all": tuple(CareStatus.values),
}
DEFAULT_STATUS = "current"
_NEVER = datetime(1900, 1, 1, tzinfo=UTC)  # sorts a patient with no reading before any reading


def _last_reading() -> Coalesce:
    """The time of the patient's latest lab value (collected) or symptom report, or _NEVER."""
    lab = LabResult.objects.filter(patient_id=OuterRef("pk")).order_by("-collected_at").values("collected_at")[:1]
    symptom = SymptomReport.objects.filter(patient_id=OuterRef("pk")).order_by("-reported_at").values("reported_at")[:1]
    # Coalesce each first: PostgreSQL's GREATEST skips NULLs, SQLite's MAX() returns NULL: same answer.
    never = Value(_NEVER, output_field=DateTimeField())
    return Greatest(
        Coalesce(Subquery(lab, output_field=DateTimeField()), never),
        Coalesce(Subquery(symptom, output_field=DateTimeField()), never),
        output_field=DateTimeField(),
    )


#: `?sort=` keys: the columns the nurse sorts by, each ascending; "-key" is descending. Cycle/day
#: sorts by the regimen's start date (further along first when descending; cycle delays not counted).
SORTS: dict[str, tuple[str, ...]] = {
    "name": ("search_name", "display_name", "id"),
    "cycle": ("-start_date", "search_name", "id"),
    "alerts": ("open_alerts", "critical_alerts", "search_name", "id"),
    "last": ("last_reading", "search_name", "id"),
}


def _descending(fields: tuple[str, ...]) -> tuple[str, ...]:
    first, *rest = fields
    return (first[1:] if first.startswith("-") else f"-{first}", *rest)


def order_for(sort: str) -> tuple[str, ...]:
    """The ORDER BY of `sort` ("name", "-alerts", ...); unknown or empty: the most pressing first."""
    key = sort.removeprefix("-")
    if key not in SORTS:
        return ("-critical_alerts", "-open_alerts", "search_name", "id")
    return _descending(SORTS[key]) if sort.startswith("-") else SORTS[key]


def patients_matching(patients: QuerySet[Patient], search: str) -> QuerySet[Patient]:
    """Patients whose date of birth is `search` (1956-03-14 or 03/14/1956), or else whose name
    contains it (accent- and case-insensitively: shared.search_text) or whose MRN is it."""
    text = search.strip()
    if not text:
        return patients
    born = search_date(text)
    if born is not None:
        return patients.filter(date_of_birth=born)
    key = search_key(text)
    return patients.filter(Q(search_name__contains=key) | Q(mrn__iexact=text))


@dataclass(frozen=True)
class PatientListRow:
    patient: Patient
    regimen: dict[str, Any]
    open_alerts: int
    critical_alerts: int
    last_reading: datetime | None
    response: PatientResponse | None = None  # the current IMWG response, as last recomputed
    next_test: NextTest | None = None  # the next SPEP/UPEP/FLC draw, for patients with markers


@dataclass(frozen=True)
class PatientListPage:
    rows: list[PatientListRow]
    page: int  # from 1
    total: int  # patients matching, on every page

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // PATIENTS_PAGE_SIZE))

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def first(self) -> int:
        """The position of the page's first row in the whole list, from 1."""
        return (self.page - 1) * PATIENTS_PAGE_SIZE + 1

    @property
    def last(self) -> int:
        return self.first + len(self.rows) - 1


def patient_list(
    *, user: User, now: datetime, search: str = "", status: str = DEFAULT_STATUS, sort: str = "", page: int = 1
) -> PatientListPage:
    """Page `page` (from 1; past the end, the last) of the nurse's patients of `status`
    (STATUS_FILTERS) matching `search` (patients_matching), those with the most critical, then the
    most open alerts first, then by name, or in the order `sort` asks: a constant number of queries."""
    patients = patients_matching(patients_visible_to(user), search)
    patients = patients.filter(care_status__in=STATUS_FILTERS.get(status, STATUS_FILTERS[DEFAULT_STATUS]))
    total = patients.count()
    page = min(max(page, 1), max(1, -(-total // PATIENTS_PAGE_SIZE)))
    offset = (page - 1) * PATIENTS_PAGE_SIZE
    ordered = patients.annotate(
        open_alerts=Count("alerts", filter=Q(alerts__status__in=UNRESOLVED)),
        critical_alerts=Count("alerts", filter=Q(alerts__status__in=UNRESOLVED, alerts__severity=Severity.CRITICAL)),
    )
    # The latest reading costs two subqueries a patient: over the whole clinic only to sort by it,
    # else for the page's rows alone (one more query, whatever the page's length).
    by_last = sort.removeprefix("-") == "last"
    if by_last:
        ordered = ordered.annotate(last_reading=_last_reading())
    found = list(ordered.order_by(*order_for(sort))[offset : offset + PATIENTS_PAGE_SIZE])
    if by_last:
        last_of = {p.pk: p.last_reading for p in found}  # type: ignore[attr-defined]
    else:
        last_of = dict(
            Patient.objects.filter(pk__in=[p.pk for p in found])
            .annotate(last_reading=_last_reading())
            .values_list("pk", "last_reading")
        )
    # One query for the whole list's response columns, whatever its length (with the clinic's
    # test interval riding on each row).
    every = ClinicResponseSettings.objects.filter(clinic_id=OuterRef("patient__clinic_id")).values("test_every_cycles")
    responses = {
        r.patient_id: r
        for r in PatientResponse.objects.filter(patient_id__in=[p.pk for p in found]).annotate(
            every_cycles=Subquery(every[:1])
        )
    }
    calendars = calendars_for(found)  # one query: the care team's cycle delays
    rows = []
    for p in found:
        response = responses.get(p.pk)
        due = None
        if response is not None and response.last_test_on is not None:
            every_cycles = response.every_cycles or DEFAULT_EVERY_CYCLES  # type: ignore[attr-defined]
            due = next_response_test(p, response.last_test_on, response.responded, every_cycles, now, calendars[p.pk])
        last = last_of.get(p.pk)
        rows.append(
            PatientListRow(
                p,
                regimen_today(p, now, calendars[p.pk]),
                p.open_alerts,  # type: ignore[attr-defined]
                p.critical_alerts,  # type: ignore[attr-defined]
                None if last is None or last <= _NEVER else last,
                response,
                due,
            )
        )
    return PatientListPage(rows, page, total)


def patient_for(*, user: User, patient_id: object) -> Patient | None:
    """The patient if `user` may see them (her own clinic's), else None: callers answer 404."""
    return patients_visible_to(user).select_related("clinic").filter(pk=patient_id).first()
