"""Specification of an alert's JSON (contract §4): `AlertSerializer` writes its dict by hand, and must
answer exactly what DRF's field-by-field rendering of its declared fields answers, in every state an
alert can be in, to every kind of reader."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from backend.accounts.models import STAFF_ROLES
from backend.alerts.models import Alert, EscalationStep, Severity, SourceType, Status
from backend.alerts.serializers import AlertSerializer, EscalationStepSerializer
from tests.backend.support import ALERTS_URL, rows
from tests.factories import EnrolledPatient, Person, graded_alert

NOW = datetime(2026, 11, 20, 13, 30, 15, 123456, tzinfo=UTC)


class DrfAlertSerializer(AlertSerializer):
    """The reference: DRF renders each declared field itself, and the escalation steps go through
    EscalationStepSerializer (what AlertSerializer answered before it wrote its dict by hand)."""

    to_representation = serializers.ModelSerializer.to_representation  # type: ignore[assignment]

    def get_escalations(self, alert: Alert) -> list[dict[str, Any]]:
        request = self.context.get("request")
        if getattr(getattr(request, "user", None), "role", None) not in STAFF_ROLES:
            return []
        steps = sorted(alert.escalation_steps.all(), key=lambda s: s.level)
        return list(EscalationStepSerializer(steps, many=True).data)


def make_alert(patient: EnrolledPatient, **fields: Any) -> Alert:
    values: dict[str, Any] = {
        "hold_drugs": ["ixazomib", "lenalidomide"],
        "patient_advice": "Stop ixazomib and lenalidomide; call your care team today.",
        "rule_source": "NINLARO USPI Table 3; CTCAE v5.0",
    }
    alert = graded_alert(patient.patient, NOW, **(values | fields))
    alert.save(force_insert=True)
    return alert


@pytest.fixture
def alerts(patient: EnrolledPatient, nurse: Person) -> list[Alert]:
    """One alert per state, nulls and all, read back from the database as the list reads them."""
    first, joined, lifting = (str(uuid.uuid4()) for _ in range(3))
    reading = {"type": "lab_result", "key": "platelets", "grade": 3, "severity": "urgent"}
    made = [
        make_alert(  # open, escalation due; an episode of two readings whose hold a third lifted
            patient,
            next_escalation_at=NOW + timedelta(minutes=120),
            readings=[
                {**reading, "id": first, "value": "Platelets 28 ×10⁹/L", "hold_drugs": ["ixazomib", "lenalidomide"]}
                | {"observed_at": "2026-11-20T11:30:15.123456Z"},
                {**reading, "id": joined, "value": "Platelets 45 ×10⁹/L", "hold_drugs": []}
                | {"observed_at": "2026-11-21T11:30:15Z"},
            ],
            holds={
                "platelets": {
                    "type": "lab_result",
                    "id": lifting,
                    "value": "Platelets 80 ×10⁹/L",
                    "observed_at": "2026-11-22T11:30:15Z",
                    "drugs": [],
                    "lifted": ["ixazomib", "lenalidomide"],
                }
            },
        ),
        make_alert(  # critical, grade 4, escalated twice, microseconds zero
            patient,
            kind="neutropenia",
            grade=4,
            severity=Severity.CRITICAL,
            created_at=NOW.replace(microsecond=0),
            escalation_level=2,
        ),
        make_alert(  # fever: no grade, nothing to hold
            patient,
            kind="fever",
            grade=None,
            hold_drugs=[],
            source_type=SourceType.SYMPTOM_REPORT,
            title="Temperature 38.4 °C",
        ),
        make_alert(
            patient,
            kind="hepatotoxicity",
            superseded=True,
            status=Status.ACKNOWLEDGED,
            acknowledged_at=NOW + timedelta(minutes=3),
            acknowledged_by=nurse.user,
            escalation_level=1,
        ),
        make_alert(
            patient,
            kind="rash",
            grade=2,
            hold_drugs=["lenalidomide"],
            holds_in_force=["lenalidomide"],  # resolving does not lift a hold
            status=Status.RESOLVED,
            acknowledged_at=NOW + timedelta(minutes=3),
            resolved_at=NOW + timedelta(minutes=40),
            resolved_by=nurse.user,
            resolution_note="Called: holding lenalidomide, seen Monday — «ok» ✓",
            outcome="dose_held",
        ),
    ]
    critical = made[1]
    EscalationStep.objects.create(  # created out of order: the answer sorts by level
        alert=critical,
        level=2,
        due_at=NOW + timedelta(minutes=30),
        at=NOW + timedelta(minutes=30, seconds=2),
        recipients=[{"role": "on_call", "name": "Dr On Call", "channels": ["sms"]}],
    )
    EscalationStep.objects.create(
        alert=critical,
        level=1,
        due_at=NOW + timedelta(minutes=15),
        at=NOW + timedelta(minutes=15, microseconds=5),
        recipients=[{"role": "nurse", "name": "Nina", "channels": ["inbox", "email"]}],
        note="nobody acknowledged",
    )
    EscalationStep.objects.create(
        alert=made[3], level=1, due_at=NOW + timedelta(minutes=2), at=NOW + timedelta(minutes=2), recipients=[]
    )
    return list(
        Alert.objects.select_related("patient").prefetch_related("escalation_steps").filter(pk__in=[a.pk for a in made])
    )


def reader(person: Person | None) -> dict[str, Any]:
    """The serializer context of a request by `person`; no request at all for None (the sync reply)."""
    if person is None:
        return {}
    request = Request(APIRequestFactory().get(ALERTS_URL))
    request.user = person.user
    return {"request": request}


def assert_same(alerts: list[Alert], context: dict[str, Any]) -> None:
    ours = AlertSerializer(alerts, many=True, context=context).data
    reference = DrfAlertSerializer(alerts, many=True, context=context).data

    for mine, theirs in zip(ours, reference, strict=True):
        assert list(mine) == list(theirs)  # same keys, same order
        for key in theirs:
            assert mine[key] == theirs[key], key
            assert type(mine[key]) is type(theirs[key]) or isinstance(theirs[key], dict | list), key
    assert JSONRenderer().render(ours) == JSONRenderer().render(reference)


@pytest.mark.parametrize("who", ["nurse", "patient", "nobody"])
def test_every_state_renders_as_drf_renders_it(
    alerts: list[Alert], nurse: Person, patient: EnrolledPatient, who: str
) -> None:
    person = {"nurse": nurse, "patient": patient, "nobody": None}[who]

    assert_same(alerts, reader(person))


def test_the_nurse_sees_the_escalation_steps_in_level_order(alerts: list[Alert], nurse: Person) -> None:
    critical = next(a for a in alerts if a.kind == "neutropenia")

    data = AlertSerializer(critical, context=reader(nurse)).data

    assert [step["level"] for step in data["escalations"]] == [1, 2]
    assert data["escalations"][0] == {
        "level": 1,
        "due_at": "2026-11-20T13:45:15.123456Z",
        "at": "2026-11-20T13:45:15.123461Z",
        "recipients": [{"role": "nurse", "name": "Nina", "channels": ["inbox", "email"]}],
        "note": "nobody acknowledged",
    }


def test_the_patient_sees_no_escalation_steps(alerts: list[Alert], patient: EnrolledPatient) -> None:
    data = AlertSerializer(alerts, many=True, context=reader(patient)).data

    assert all(row["escalations"] == [] for row in data)


def test_times_are_iso_8601_with_z_and_nulls_stay_null(alerts: list[Alert], patient: EnrolledPatient) -> None:
    fever = next(a for a in alerts if a.kind == "fever")

    data = AlertSerializer(fever, context=reader(patient)).data

    assert data["created_at"] == "2026-11-20T13:30:15.123456Z"
    assert data["observed_at"] == "2026-11-20T11:30:15.123456Z"
    assert data["grade"] is None
    assert data["acknowledged_at"] is None and data["resolved_at"] is None and data["next_escalation_at"] is None
    assert data["dose_hold"] is False and data["hold_drugs"] == []
    assert data["source"] == {"type": "symptom_report", "id": str(fever.source_id), "rule": fever.rule_source}


def test_another_current_time_zone_renders_as_drf_renders_it(alerts: list[Alert], nurse: Person) -> None:
    with timezone.override(ZoneInfo("America/New_York")):
        assert_same(alerts, reader(nurse))
        assert AlertSerializer(alerts[0]).data["created_at"].endswith("-05:00")


def test_an_unsaved_alert_renders_as_drf_renders_it(patient: EnrolledPatient, nurse: Person) -> None:
    """In memory: enum members rather than strings, an aware time in another zone, a naive one."""
    alert = Alert(
        patient=patient.patient,
        kind="diarrhea",
        grade=3,
        severity=Severity.CRITICAL,
        status=Status.OPEN,
        hold_drugs=["ixazomib"],
        title="Diarrhea grade 3",
        message="7 stools above usual.",
        patient_advice="Call now.",
        rule_source="CTCAE v5.0",
        source_type=SourceType.SYMPTOM_REPORT,
        source_id=uuid.uuid4(),
        observed_at=datetime(2026, 11, 20, 8, 0, tzinfo=ZoneInfo("America/New_York")),
        created_at=datetime(2026, 11, 20, 14, 0),  # naive on purpose
        updated_at=NOW,
    )

    assert_same([alert], reader(nurse))
    assert AlertSerializer(alert).data["observed_at"] == "2026-11-20T13:00:00Z"


def test_the_list_answers_what_drf_would(alerts: list[Alert], nurse: Person) -> None:
    response = nurse.client().get(ALERTS_URL)

    assert response.status_code == 200
    by_id = {row["id"]: row for row in rows(response)}
    reference = DrfAlertSerializer(alerts, many=True, context=reader(nurse)).data
    assert len(by_id) == len(alerts)
    for expected in reference:
        got = by_id[expected["id"]]
        assert list(got) == list(expected)
        assert JSONRenderer().render(got) == JSONRenderer().render(expected)


# --- the alert list's queries ------------------------------------------------------------------


def listed_queries(person: Person, django_assert_max_num_queries: Any) -> list[str]:
    with django_assert_max_num_queries(100) as captured:
        response = person.client().get(ALERTS_URL)
    assert response.status_code == 200
    return [q["sql"] for q in captured.captured_queries]


# With the token remembered (backend.accounts.token_cache). On PostgreSQL the first page is one
# statement (token check, page, audit: backend.alerts.first_page) plus, for staff, the escalation
# steps; elsewhere the page, the steps (staff) and the audit insert.
FIRST_PAGE_QUERIES = {"nurse": 2, "patient": 1} if connection.vendor == "postgresql" else {"nurse": 3, "patient": 2}


@pytest.mark.parametrize("who", ["nurse", "patient"])
def test_an_authenticated_list_costs_the_same_queries_for_1_or_20_alerts(
    nurse: Person, patient: EnrolledPatient, django_assert_max_num_queries: Any, who: str
) -> None:
    """The page, its escalation steps (staff only: nobody else is shown them), the audit: no query
    per alert, and none for the token once remembered."""
    queries = FIRST_PAGE_QUERIES[who]
    person = {"nurse": nurse, "patient": patient}[who]
    first = make_alert(patient)
    EscalationStep.objects.create(alert=first, level=1, due_at=NOW, at=NOW)
    listed_queries(person, django_assert_max_num_queries)  # the token checked in the database once
    one = listed_queries(person, django_assert_max_num_queries)
    for _ in range(19):  # one open episode per kind (contract §4): the others are past ones
        EscalationStep.objects.create(alert=make_alert(patient, status=Status.RESOLVED), level=1, due_at=NOW, at=NOW)

    twenty = listed_queries(person, django_assert_max_num_queries)

    assert len(twenty) == len(one) == queries, twenty


def test_the_assignee_is_shown_to_the_clinics_staff_only(
    alerts: list[Alert], nurse: Person, patient: EnrolledPatient
) -> None:
    alert = alerts[0]
    Alert.objects.filter(pk=alert.pk).update(assigned_to=nurse.user)
    alert.refresh_from_db()
    assert AlertSerializer(alert, context=reader(nurse)).data["assigned_to"] == nurse.user.pk
    assert AlertSerializer(alert, context=reader(patient)).data["assigned_to"] is None
