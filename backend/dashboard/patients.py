"""The patients a nurse may see: the patient list, the most pressing first, a page at a time, and one
patient by id."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, OuterRef, Q, Subquery

from backend.accounts.models import User
from backend.alerts.models import Severity
from backend.dashboard.counts import UNRESOLVED
from backend.patients.calendar import calendars_for
from backend.patients.models import Patient
from backend.patients.selectors import patients_visible_to
from backend.patients.services import regimen_today
from backend.response.models import ClinicResponseSettings, PatientResponse
from backend.response.selectors import next_response_test
from shared.response_tests import DEFAULT_EVERY_CYCLES, NextTest

#: Rows per page. Every row costs its regimen day, its next response test and ~1 KB of HTML: a
#: clinic of 10,000 on one page was 5.6 MB and seconds to render (bench/patients_list.py).
PATIENTS_PAGE_SIZE = 50


@dataclass(frozen=True)
class PatientListRow:
    patient: Patient
    regimen: dict[str, Any]
    open_alerts: int
    critical_alerts: int
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


def patient_list(*, user: User, now: datetime, name: str = "", page: int = 1) -> PatientListPage:
    """Page `page` (from 1; past the end, the last) of the nurse's patients, those with the most
    critical, then the most open alerts first, then by name: a constant number of queries."""
    patients = patients_visible_to(user)
    if name.strip():
        patients = patients.filter(display_name__icontains=name.strip())
    total = patients.count()
    page = min(max(page, 1), max(1, -(-total // PATIENTS_PAGE_SIZE)))
    offset = (page - 1) * PATIENTS_PAGE_SIZE
    ordered = patients.annotate(
        open_alerts=Count("alerts", filter=Q(alerts__status__in=UNRESOLVED)),
        critical_alerts=Count("alerts", filter=Q(alerts__status__in=UNRESOLVED, alerts__severity=Severity.CRITICAL)),
    ).order_by("-critical_alerts", "-open_alerts", "display_name", "id")
    found = list(ordered[offset : offset + PATIENTS_PAGE_SIZE])
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
        rows.append(
            PatientListRow(p, regimen_today(p, now, calendars[p.pk]), p.open_alerts, p.critical_alerts, response, due)  # type: ignore[attr-defined]
        )
    return PatientListPage(rows, page, total)


def patient_for(*, user: User, patient_id: object) -> Patient | None:
    """The patient if `user` may see them (her own clinic's), else None: callers answer 404."""
    return patients_visible_to(user).select_related("clinic").filter(pk=patient_id).first()
