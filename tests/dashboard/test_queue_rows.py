"""The markup of a queue row, pinned: what the nurse, her screen reader, htmx and the browser tests
rely on (ids, classes, the hidden words, links, the forms and their CSRF token). golden/queue_rows.html
was recorded from the row template as it was before the rows were made cheap to render (a
`{% url %}` per link, an include and two inclusion tags per row); the rows rendered now by Jinja2
(jinja2/dashboard/queue_rows.html) must send the same, whitespace aside. Their "Assign to" forms must be
the resolve dialog's template (_alert_assign.html) as the queue includes it, to the byte."""

from __future__ import annotations

import os
import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse, set_script_prefix
from django.utils import translation

from backend.accounts.models import User
from backend.alerts.assignment import assignable_staff
from backend.alerts.models import Alert, Severity, SourceType, Status
from backend.dashboard.presenters import QueueLinks
from backend.patients.models import Patient
from tests.dashboard.support import POLL, queue, shown_version
from tests.factories import EnrolledPatient, Person

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 3, 14, 0, tzinfo=UTC)
GOLDEN = Path(__file__).parent / "golden" / "queue_rows.html"
CSRF = re.compile(r'(name="csrfmiddlewaretoken" value=")[A-Za-z0-9]{64}(")')  # a masked token


def add_alert(patient: Patient, *, key: int, severity: str, status: str, minutes: float, **fields: object) -> Alert:
    """An alert `minutes` old at NOW, with a fixed id so the expected markup can name it."""
    created = NOW - timedelta(minutes=minutes)
    critical = severity == Severity.CRITICAL
    values: dict[str, object] = {
        "kind": "thrombocytopenia",
        "grade": 4 if critical else 3,
        "hold_drugs": ["ixazomib", "lenalidomide"],
        "title": "Grade 4 thrombocytopenia" if critical else "Grade 3 thrombocytopenia",
        "observed_at": created,
        **fields,
    }
    values.setdefault("holds_in_force", values["hold_drugs"])
    return Alert.objects.create(
        id=uuid.UUID(int=key),
        patient=patient,
        severity=severity,
        status=status,
        message="Review and call the patient.",
        patient_advice="Call your care team today.",
        rule_source="CTCAE v5.0",
        source_type=SourceType.LAB_RESULT,
        source_id=uuid.uuid4(),
        created_at=created,
        updated_at=created,
        **values,
    )


def reading(value: str, grade: int, severity: str, at: datetime) -> dict[str, object]:
    return {
        "type": "lab_result",
        "id": str(uuid.uuid4()),
        "key": "platelets",
        "value": value,
        "grade": grade,
        "severity": severity,
        "hold_drugs": ["ixazomib", "lenalidomide"] if grade == 4 else [],
        "observed_at": at.isoformat(),
    }


def row_markup(response: object) -> dict[str, str]:
    """Each row's markup by alert id, the CSRF token's per-render mask replaced by a marker."""
    body = CSRF.sub(r"\1CSRF\2", response.content.decode())  # type: ignore[attr-defined]
    return {m[2]: m[1] for m in re.finditer(r'(<tr id="alert-([0-9a-f-]{36})".*?</tr>)', body, flags=re.S)}


def golden(patient: Patient, nurse: Person) -> dict[str, str]:
    # {nurse}: the nurse's user id, a choice of the rows' "Assign to" (ids differ between databases).
    text = GOLDEN.read_text().replace("{patient}", str(patient.pk)).replace("{nurse}", str(nurse.user.pk))
    return dict(re.findall(r"<!-- row: (\w+) -->\n(.*?)(?=\n<!--|\Z)", text, flags=re.S))


def record_golden(patient: Patient, nurse: Person, alerts: dict[str, Alert], shown: dict[str, str]) -> None:
    header = GOLDEN.read_text().split("<!-- row: ")[0]
    rows = "".join(f"<!-- row: {name} -->\n{shown[str(alert.pk)]}\n" for name, alert in alerts.items())
    rows = rows.replace(f'<option value="{nurse.user.pk}"', '<option value="{nurse}"')
    lines = [line for line in rows.replace(str(patient.pk), "{patient}").splitlines() if line.strip()]
    GOLDEN.write_text(header + "\n".join(lines) + "\n")


def rendered(markup: str) -> str:
    """What a browser makes of it: every run of whitespace is one space."""
    return re.sub(r"\s+", " ", markup).strip()


@pytest.fixture
def alerts(nurse: Person, patient: EnrolledPatient) -> dict[str, Alert]:
    p = patient.patient
    return {
        # Escalated once (every nurse told again), the on-call step due in 10 minutes; the phone
        # was offline: the reading is 3 hours older than the alert.
        "escalated": add_alert(
            p,
            key=1,
            severity=Severity.CRITICAL,
            status=Status.OPEN,
            minutes=20,
            escalation_level=1,
            observed_at=NOW - timedelta(minutes=200),
            # An episode of two readings: the row shows the worst one's value with its unit.
            readings=[
                reading("Platelets 40 ×10⁹/L", 3, "urgent", NOW - timedelta(minutes=200)),
                reading("Platelets 22 ×10⁹/L", 4, "critical", NOW - timedelta(minutes=190)),
            ],
        ),
        "overdue": add_alert(
            p, key=2, severity=Severity.URGENT, status=Status.OPEN, minutes=150, kind="diarrhea", hold_drugs=[]
        ),
        "on_call": add_alert(
            p,
            key=3,
            severity=Severity.CRITICAL,
            status=Status.OPEN,
            minutes=90,
            kind="febrile_neutropenia",
            grade=None,
            hold_drugs=[],
            title="Fever with ANC below 1.0",
            escalation_level=2,
        ),
        "acknowledged": add_alert(
            p,
            key=4,
            severity=Severity.URGENT,
            status=Status.ACKNOWLEDGED,
            minutes=60,
            kind="neutropenia",  # one open or acknowledged alert per kind (contract §4)
            title="Grade 3 neutropenia",
            acknowledged_by=nurse.user,
            acknowledged_at=NOW - timedelta(minutes=30),
        ),
        "resolved": add_alert(
            p,
            key=5,
            severity=Severity.CRITICAL,
            status=Status.RESOLVED,
            minutes=45,
            acknowledged_by=nurse.user,
            acknowledged_at=NOW - timedelta(minutes=10),
            resolved_by=nurse.user,
            resolved_at=NOW - timedelta(minutes=10),
            outcome="dose_held",
            resolution_note="Held both.",
        ),
        # A backlog reading a newer one no longer meeting the policy followed: history to review,
        # never escalated; its hold was lifted by that newer reading, which is named.
        "history": add_alert(
            p,
            key=7,
            severity=Severity.CRITICAL,
            status=Status.OPEN,
            minutes=5,
            superseded=True,
            observed_at=NOW - timedelta(days=12),
            readings=[reading("Platelets 18 ×10⁹/L", 4, "critical", NOW - timedelta(days=12))],
            holds_in_force=[],
            holds={
                "platelets": {
                    "type": "lab_result",
                    "id": str(uuid.UUID(int=99)),
                    "value": "Platelets 150 ×10⁹/L",
                    "observed_at": "2026-10-24T14:00:00Z",
                    "drugs": [],
                    "lifted": ["ixazomib", "lenalidomide"],
                }
            },
        ),
    }


def test_each_row_is_sent_as_the_golden_markup(
    nurse_browser: Client, nurse: Person, patient: EnrolledPatient, alerts: dict[str, Alert]
) -> None:
    """Open critical escalated once (late reading, two readings), urgent overdue, critical escalated
    to on-call (no grade, no hold), acknowledged, resolved, superseded history with its hold lifted;
    and an alert a poll brings, marked new."""
    with time_machine.travel(NOW, tick=False):
        version = shown_version(queue(nurse_browser))
        shown = {**row_markup(queue(nurse_browser)), **row_markup(queue(nurse_browser, status="resolved"))}
    with time_machine.travel(NOW + timedelta(minutes=1), tick=False):
        alerts["new"] = add_alert(
            patient.patient,
            key=6,
            severity=Severity.URGENT,
            status=Status.OPEN,
            minutes=0,
            kind="nausea",
            title="Grade 3 nausea",
            hold_drugs=["ixazomib"],
        )
        polled = nurse_browser.get("/", {"v": version}, **POLL)
        shown[str(alerts["new"].pk)] = row_markup(polled)[str(alerts["new"].pk)]
    if os.environ.get("CARELOOP_RECORD_GOLDEN"):  # write the rows as sent now, to be read and checked
        record_golden(patient.patient, nurse, alerts, shown)
    expected = golden(patient.patient, nurse)
    assert set(expected) == set(alerts)
    for name, alert in alerts.items():
        assert rendered(shown[str(alert.pk)]) == rendered(expected[name]), name


def test_the_links_are_what_reverse_gives_for_each_id() -> None:
    links = QueueLinks()
    for pk in (uuid.uuid4(), uuid.uuid4(), uuid.UUID(int=2**128 - 1)):
        assert links.patient(pk) == reverse("dashboard:patient", args=[pk])
        assert links.acknowledge(pk) == reverse("dashboard:alert-acknowledge", args=[pk])
        assert links.resolve(pk) == reverse("dashboard:alert-resolve", args=[pk])
        assert links.assign(pk) == reverse("dashboard:alert-assign", args=[pk])
    assert links.queue == reverse("dashboard:queue")


def test_the_links_keep_the_prefix_the_site_is_mounted_under() -> None:
    pk = uuid.uuid4()
    set_script_prefix("/careloop/")
    try:
        links = QueueLinks()
        assert links.resolve(pk) == f"/careloop/alerts/{pk}/resolve/" == reverse("dashboard:alert-resolve", args=[pk])
        assert links.queue == "/careloop/"
    finally:
        set_script_prefix("/")


def assign_cells(response: object) -> dict[str, str]:
    """Each row's "Assigned to" cell by alert id, the CSRF token's mask replaced by a marker."""
    body = CSRF.sub(r"\1CSRF\2", response.content.decode())  # type: ignore[attr-defined]
    rows = re.finditer(
        r'<tr id="alert-([0-9a-f-]{36})".*?<td class="col-assign">(.*?)</td>\n  <td class="col-actions">',
        body,
        flags=re.S,
    )
    return {m[1]: m[2] for m in rows}


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_rows_assignment_is_the_dialogs_template_as_the_queue_includes_it(
    nurse_browser: Client, nurse: Person, clinic_admin: Person, patient: EnrolledPatient, language: str
) -> None:
    """Unassigned, assigned to the reader, to a colleague; open, acknowledged and resolved: the row's
    cell is byte for byte what _alert_assign.html renders with `in_dialog` false, in either language."""
    User.objects.filter(pk=nurse.user.pk).update(language=language)
    p = patient.patient
    admin = clinic_admin.user
    alerts = [
        add_alert(p, key=11, severity=Severity.CRITICAL, status=Status.OPEN, minutes=20),
        add_alert(
            p, key=12, severity=Severity.URGENT, status=Status.OPEN, minutes=30, kind="diarrhea", assigned_to=nurse.user
        ),
        add_alert(
            p, key=13, severity=Severity.URGENT, status=Status.OPEN, minutes=40, kind="nausea", assigned_to=admin
        ),
        add_alert(
            p,
            key=14,
            severity=Severity.URGENT,
            status=Status.ACKNOWLEDGED,
            minutes=50,
            kind="neutropenia",
            assigned_to=admin,
            acknowledged_by=admin,
            acknowledged_at=NOW - timedelta(minutes=5),
        ),
        add_alert(
            p,
            key=15,
            severity=Severity.CRITICAL,
            status=Status.RESOLVED,
            minutes=60,
            assigned_to=nurse.user,
            resolved_by=nurse.user,
            resolved_at=NOW - timedelta(minutes=1),
            outcome="dose_held",
        ),
    ]
    with time_machine.travel(NOW, tick=False):
        shown = {**assign_cells(queue(nurse_browser)), **assign_cells(queue(nurse_browser, status="resolved"))}
    staff = list(assignable_staff(nurse.user.clinic_id))
    assert len(staff) == 2
    with translation.override(language):
        for alert in Alert.objects.select_related("patient", "assigned_to").filter(pk__in=[a.pk for a in alerts]):
            context = {
                "a": alert,
                "staff": staff,
                "user": nurse.user,
                "assign_url": reverse("dashboard:alert-assign", args=[alert.pk]),
                "next_url": reverse("dashboard:queue"),
                "in_dialog": False,
                "csrf_token": "x" * 64,
            }
            expected = CSRF.sub(r"\1CSRF\2", render_to_string("dashboard/_alert_assign.html", context))
            assert shown[str(alert.pk)] == expected, alert.pk


def test_names_titles_and_values_from_the_database_are_escaped(
    nurse_browser: Client, nurse: Person, clinic_admin: Person, patient: EnrolledPatient
) -> None:
    p = patient.patient
    Patient.objects.filter(pk=p.pk).update(display_name="Zoë <b>\"&'")
    User.objects.filter(pk=clinic_admin.user.pk).update(first_name="<i>Ada</i>")
    add_alert(
        p,
        key=21,
        severity=Severity.CRITICAL,
        status=Status.OPEN,
        minutes=20,
        title="<script>alert(1)</script>",
        assigned_to=clinic_admin.user,
        readings=[reading("<img src=x>", 4, "critical", NOW - timedelta(minutes=20))],
    )
    with time_machine.travel(NOW, tick=False):
        row = row_markup(queue(nurse_browser))[str(uuid.UUID(int=21))]
    assert "<script>" not in row and "<img" not in row and "<b>" not in row and "<i>Ada" not in row
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in row
    assert "Zoë &lt;b&gt;&quot;&amp;&#x27;" in row
    assert "&lt;i&gt;Ada&lt;/i&gt;" in row
    assert '<div class="alert-value">&lt;img src=x&gt;</div>' in row
