"""A queue row's escalation countdown: where an open alert stands on the ladder."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.test import override_settings

from backend.accounts.models import Clinic
from backend.alerts.models import Alert, Status
from backend.dashboard.triage_queue import escalation_of


def alert(status: str, minutes_ago: int, severity: str = "critical") -> Alert:
    at = datetime(2026, 11, 20, 12, tzinfo=UTC) - timedelta(minutes=minutes_ago)
    return Alert(status=status, created_at=at, severity=severity)


@override_settings(CARELOOP_ESCALATION_MINUTE_SECONDS=60)
def test_escalation_counts_down_to_the_next_step_of_the_ladder() -> None:
    clinic = Clinic(escalation_critical_minutes=15, escalation_urgent_minutes=120)
    now = datetime(2026, 11, 20, 12, tzinfo=UTC)
    open_critical = escalation_of(alert=alert(Status.OPEN, 5), clinic=clinic, now=now)
    assert (open_critical.remaining, open_critical.overdue, open_critical.level) == (timedelta(minutes=10), False, 0)
    late_urgent = escalation_of(alert=alert(Status.OPEN, 130, "urgent"), clinic=clinic, now=now)
    assert late_urgent.remaining == timedelta(minutes=-10) and late_urgent.overdue
    # Once every nurse has been told again (level 1), the next step is the on-call contact at 2 × target.
    told = alert(Status.OPEN, 20)
    told.escalation_level = 1
    assert escalation_of(alert=told, clinic=clinic, now=now).remaining == timedelta(minutes=10)
    told.escalation_level = 2
    assert escalation_of(alert=told, clinic=clinic, now=now).done


@override_settings(CARELOOP_ESCALATION_MINUTE_SECONDS=60)
def test_escalation_stops_when_acknowledged_and_can_be_off() -> None:
    now = datetime(2026, 11, 20, 12, tzinfo=UTC)
    clinic = Clinic(escalation_critical_minutes=15, escalation_urgent_minutes=0)
    assert escalation_of(alert=alert(Status.ACKNOWLEDGED, 130), clinic=clinic, now=now).deadline is None
    off = escalation_of(alert=alert(Status.OPEN, 5, "urgent"), clinic=clinic, now=now)
    assert off.deadline is None and not off.done
