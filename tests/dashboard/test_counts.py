"""The queue's version, read back: the moment the screen had seen."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from backend.alerts.models import Alert
from backend.dashboard.counts import queue_counts, version_time
from tests.dashboard.support import raise_alerts
from tests.factories import EnrolledPatient, Person


def test_a_version_tells_the_moment_the_screen_had_seen() -> None:
    assert version_time("1763640000.000000-4") == datetime(2025, 11, 20, 12, tzinfo=UTC)
    assert version_time("0.000000-0") is None and version_time("garbage") is None


@pytest.mark.django_db
def test_the_tabs_count_the_nurses_own_and_nobodys_unresolved_alerts(nurse: Person, patient: EnrolledPatient) -> None:
    (platelets,) = raise_alerts(patient, [20])
    raise_alerts(patient, [0.3], analyte="anc")
    Alert.objects.filter(pk=platelets.pk).update(assigned_to=nurse.user)
    clinic = nurse.user.clinic_id
    assert clinic is not None
    counts = queue_counts(clinic_id=clinic, user_id=nurse.user.pk)
    assert (counts.mine, counts.unassigned) == (1, 1)
    assert queue_counts(clinic_id=clinic).mine == 0  # nobody asking: no "mine" to count
