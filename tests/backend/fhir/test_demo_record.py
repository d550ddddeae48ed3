"""The demo clinic's patients, each with cycles of labs, symptoms, doses and alerts: their whole
record through `$everything`, page by page, is valid FHIR R4 (checked by the independent validator)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from backend.accounts.services import token_issue
from backend.demo import seed as demo
from backend.patients.models import Patient
from tests.factories import Person
from tests.fhir.validator import assert_valid_fhir

pytestmark = pytest.mark.django_db

SEEDED = datetime(2027, 1, 25, 15, 30, tzinfo=UTC)  # three cycles after the demo's start dates


def test_every_demo_patients_record_is_valid_r4(clock: Callable[[datetime], None]) -> None:
    clock(SEEDED)
    seeded = demo.seed_demo(SEEDED)
    nurse = Person(seeded.nurse, token_issue(user=seeded.nurse, device_name="test")).client()
    kinds: Counter[str] = Counter()
    for patient in Patient.objects.filter(display_name__in=[p.name for p in demo.PATIENTS]):
        url: str | None = f"/fhir/Patient/{patient.pk}/$everything?_count=100"
        pages: list[dict[str, Any]] = []
        while url:
            response = nurse.get(url)
            assert response.status_code == 200, response.content
            pages.append(response.json())
            url = next((link["url"] for link in pages[-1]["link"] if link["relation"] == "next"), None)
        assert_valid_fhir(*pages)
        assert sum(len(p["entry"]) for p in pages) == pages[0]["total"]
        kinds.update(e["resource"]["resourceType"] for p in pages for e in p["entry"])
    assert {"Patient", "Observation", "QuestionnaireResponse", "MedicationAdministration", "DetectedIssue"} <= set(
        kinds
    )
