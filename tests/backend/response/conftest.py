from __future__ import annotations

import pytest

from tests.backend.response.support import START
from tests.factories import EnrolledPatient, Person, make_patient


@pytest.fixture
def patient(nurse: Person) -> EnrolledPatient:
    """On IRd since START, so that a few cycles of markers lie in the past."""
    return make_patient(nurse, start=START)
