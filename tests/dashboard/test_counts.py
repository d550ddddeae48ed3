"""The queue's version, read back: the moment the screen had seen."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from backend.alerts.models import Alert
from backend.dashboard.counts import _direct_counts, _latest_change, _version, queue_counts, version_time
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


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the tally is PostgreSQL's (its triggers keep it)")
def test_on_postgresql_the_header_is_one_query_that_says_what_the_alerts_say(
    nurse: Person, patient: EnrolledPatient, other_patient: EnrolledPatient
) -> None:
    (platelets,) = raise_alerts(patient, [20])
    raise_alerts(patient, [0.3], analyte="anc")
    raise_alerts(other_patient, [20])
    Alert.objects.filter(pk=platelets.pk).update(assigned_to=nurse.user)
    clinic = nurse.user.clinic_id
    assert clinic is not None

    for user_id in (nurse.user.pk, None):
        with CaptureQueriesContext(connection) as captured:
            counts = queue_counts(clinic_id=clinic, user_id=user_id)

        assert len(captured.captured_queries) == 1
        direct = _direct_counts(clinic, user_id)
        assert (counts.open_critical, counts.open_urgent, counts.acknowledged, counts.mine, counts.unassigned) == (
            direct.open_critical,
            direct.open_urgent,
            direct.acknowledged,
            direct.mine,
            direct.unassigned,
        )
        assert counts.version == _version(_latest_change(clinic), direct.unresolved)
