from __future__ import annotations

import pytest

from tests.backend.caregivers.support import make_caregiver
from tests.factories import EnrolledPatient, Person


@pytest.fixture
def all_alerts_caregiver(patient: EnrolledPatient) -> Person:
    return make_caregiver(patient, ["all_alerts"], "ana.all")


@pytest.fixture
def critical_caregiver(patient: EnrolledPatient) -> Person:
    return make_caregiver(patient, ["critical_alerts"], "cris.critical")


@pytest.fixture
def summary_caregiver(patient: EnrolledPatient) -> Person:
    return make_caregiver(patient, ["daily_summary", "missed_doses"], "sam.summary")
