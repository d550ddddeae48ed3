"""The queue shows one row per problem (contract §4, episodes): the worst reading's value with its
unit, how many readings the alert holds, a row made worse flagged on the next poll with its
escalation countdown started again, and a backlog's superseded alert as history, never counting down."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from backend.alerts.models import Alert
from tests.dashboard.support import POLL, grade_all, queue, raise_alerts, row_ids, shown_version, sync, text
from tests.factories import EnrolledPatient, lab_item

pytestmark = pytest.mark.django_db


def test_a_row_shows_the_worst_reading_with_its_unit_and_how_many_readings(
    nurse_browser: Client, patient: EnrolledPatient
) -> None:
    raise_alerts(patient, [45, 22, 40], start=timezone.now() - timedelta(days=1))

    page = text(queue(nurse_browser))

    assert "Grade 4 thrombocytopenia Platelets 22 ×10⁹/L" in page
    assert "Thrombocytopenia · 3 readings" in page
    assert len(row_ids(queue(nurse_browser))) == 1


def test_one_unit_style_whatever_unit_the_lab_reported(nurse_browser: Client, patient: EnrolledPatient) -> None:
    sync(patient, lab_results=[lab_item("platelets", 22000, "/uL")])
    grade_all()

    assert "Platelets 22 ×10⁹/L" in text(queue(nurse_browser))  # reported as 22000 /µL


def test_a_worse_reading_flags_the_row_on_the_next_poll_and_restarts_its_countdown(
    nurse_browser: Client, patient: EnrolledPatient
) -> None:
    (alert,) = raise_alerts(patient, [45], start=timezone.now() - timedelta(days=1))
    Alert.objects.filter(pk=alert.pk).update(created_at=timezone.now() - timedelta(hours=3))
    assert "Overdue 1 h" in text(queue(nurse_browser))  # urgent: two hours to acknowledge
    version = shown_version(nurse_browser.get("/", **POLL))

    raise_alerts(patient, [20], start=timezone.now() - timedelta(hours=1))

    update = nurse_browser.get("/", {"v": version}, **POLL)
    body = update.content.decode()
    assert row_ids(update) == [str(alert.pk)]
    assert 'class="row row--critical row--open is-new"' in body and '<span class="tag tag--new">Worse</span>' in body
    # Critical now: 15 minutes to acknowledge, counted from the worse reading.
    worse = Alert.objects.get(pk=alert.pk)
    assert worse.worsened_at is not None
    assert f'data-deadline="{(worse.worsened_at + timedelta(minutes=15)).isoformat()}"' in body
    assert "Overdue" not in text(update)


def test_a_superseded_alert_is_shown_as_history_without_a_countdown(
    nurse_browser: Client, patient: EnrolledPatient
) -> None:
    start = timezone.now() - timedelta(days=12)
    raise_alerts(patient, [22, 18, 150], start=start)

    page = text(queue(nurse_browser))

    assert "History" in page and "a newer reading no longer alerts: history to review" in page
    assert "History: not escalated" in page and "left" not in page
    assert "Ixazomib, Lenalidomide lifted by Platelets 150 ×10⁹/L" in page
