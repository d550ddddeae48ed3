"""Fixtures every test may use: the named personas of tests/factories.py."""

from __future__ import annotations

import pytest

from tests.factories import EnrolledPatient, Person, make_nurse, make_patient


@pytest.fixture
def nurse(db: None) -> Person:
    return make_nurse()


@pytest.fixture
def other_clinic_nurse(db: None) -> Person:
    return make_nurse("nurse.olga", clinic="Hillside Hematology")


@pytest.fixture
def patient(nurse: Person) -> EnrolledPatient:
    return make_patient(nurse)


@pytest.fixture
def other_patient(other_clinic_nurse: Person) -> EnrolledPatient:
    return make_patient(other_clinic_nurse, name="Otto Other", tz="Europe/Berlin")
