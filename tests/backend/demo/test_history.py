"""The demo clinic has a past whose figures read like a clinic's (issue 16 §5): patients enrolled
before cycle 1, alerts handled at spread-out times with outcomes, and blood-draw reminders sent."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest

from backend.alerts.models import Alert
from backend.demo import seed as demo
from backend.metrics.period import Period
from backend.metrics.selectors import clinic_metrics

pytestmark = pytest.mark.django_db
SEEDED = datetime(2026, 11, 20, 15, 30, tzinfo=UTC)


def test_the_demo_clinics_figures_are_a_clinics(clock: Callable[[datetime], None]) -> None:
    clock(SEEDED)
    result = demo.seed_demo(SEEDED)
    m = clinic_metrics(clinic_id=result.clinic.pk, period=Period(date(2026, 9, 1), date(2026, 11, 20)), now=SEEDED)
    assert m.patients == 3 and 0.2 <= (m.alerts_per_patient_week or 0) <= 0.5  # PRO-TECT: about 0.3
    assert 0.5 <= (m.action_share or 0) <= 0.7  # PRO-TECT: about 59%
    critical, urgent = m.by_severity
    assert critical.to_acknowledge.count >= 1 and urgent.to_acknowledge.count >= 4
    assert 60 < (critical.to_acknowledge.median or 0) < 30 * 60  # minutes, not zero and not hours
    assert 10 * 60 < (urgent.to_acknowledge.median or 0) < 3 * 3600
    assert (urgent.to_acknowledge.p90 or 0) > 2 * (urgent.to_acknowledge.median or 0)  # a long tail
    handled = Alert.objects.filter(status="resolved")
    assert len({a.resolved_at - a.acknowledged_at for a in handled}) == handled.count()  # spread, none equal
    assert all(a.created_at > a.observed_at for a in handled)
    assert m.escalation_steps >= 1 and len(m.nurses) == 2
    assert 0.85 <= (m.adherence or 0) < 1 and m.lab_draws_reminded >= 20 and m.response_tests_due >= 5


def test_seeding_twice_adds_no_past(clock: Callable[[datetime], None]) -> None:
    clock(SEEDED)
    demo.seed_demo(SEEDED)
    before = sorted(Alert.objects.values_list("id", "created_at", "acknowledged_at", "resolved_at", "outcome"))
    demo.seed_demo(SEEDED)
    assert sorted(Alert.objects.values_list("id", "created_at", "acknowledged_at", "resolved_at", "outcome")) == before
