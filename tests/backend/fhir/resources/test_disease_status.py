"""Specification of the IMWG disease status as an R4 Observation (mCODE's CancerDiseaseStatus:
LOINC 97509-4 with a SNOMED CT trend; imwg-and-codes.md §2)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest

from backend.fhir.resources.base import model_check
from backend.fhir.resources.disease_status import disease_status_observation
from backend.response.models import ResponseAssessment
from shared.response import Category
from tests.fhir.validator import assert_valid_fhir

PATIENT = uuid.uuid4()
DAY = date(2026, 11, 19)


def _assessment(category: str, confirmed: bool) -> ResponseAssessment:
    return ResponseAssessment(
        patient_id=PATIENT,
        day=DAY,
        category=category,
        confirmed=confirmed,
        computed_at=datetime(2026, 11, 19, 14, 0, tzinfo=UTC),
    )


@pytest.mark.parametrize(
    ("category", "trend"),
    [
        ("sCR", "268910001"),
        ("CR", "268910001"),
        ("VGPR", "268910001"),
        ("PR", "268910001"),
        ("MR", "268910001"),
        ("SD", "359746009"),
        ("PD", "271299001"),
        ("NE", "709137006"),
    ],
)
def test_each_imwg_category_has_its_snomed_trend_and_itself_as_a_coding(category: str, trend: str) -> None:
    resource = disease_status_observation(_assessment(category, confirmed=True))
    assert resource["code"]["coding"] == [
        {"system": "http://loinc.org", "code": "97509-4", "display": "Cancer disease status"}
    ]
    snomed, imwg = resource["valueCodeableConcept"]["coding"]
    assert (snomed["system"], snomed["code"]) == ("http://snomed.info/sct", trend)
    assert (imwg["system"], imwg["code"]) == ("urn:careloop:imwg-response-category", category)


def test_every_category_of_the_domain_is_mapped() -> None:
    for category in Category:
        resource = disease_status_observation(_assessment(category.value, confirmed=False))
        assert resource["valueCodeableConcept"]["coding"][1]["code"] == category.value


def test_confirmed_is_final_and_awaiting_confirmation_is_preliminary() -> None:
    confirmed = disease_status_observation(_assessment("PR", confirmed=True))
    waiting = disease_status_observation(_assessment("PR", confirmed=False))
    assert (confirmed["status"], waiting["status"]) == ("final", "preliminary")
    assert confirmed["valueCodeableConcept"]["text"] == "IMWG PR (Partial response), confirmed"
    assert waiting["valueCodeableConcept"]["text"] == "IMWG PR (Partial response), not yet confirmed"


def test_the_day_the_id_and_the_markers_it_was_derived_from() -> None:
    markers = [uuid.uuid4(), uuid.uuid4()]
    resource = disease_status_observation(_assessment("VGPR", confirmed=False), markers)
    assert resource["id"] == f"imwg-{PATIENT}-2026-11-19"
    assert len(resource["id"]) <= 64  # FHIR's limit on an id
    assert resource["effectiveDateTime"] == "2026-11-19"
    assert resource["issued"] == "2026-11-19T14:00:00+00:00"
    assert resource["subject"] == {"reference": f"Patient/{PATIENT}"}
    assert resource["derivedFrom"] == [{"reference": f"Observation/{m}"} for m in markers]
    assert "derivedFrom" not in disease_status_observation(_assessment("VGPR", confirmed=False))


def test_valid_r4_by_fhirclients_model_and_the_npm_validator() -> None:
    resources = [
        disease_status_observation(_assessment(c.value, confirmed=c is not Category.NE), [uuid.uuid4()])
        for c in Category
    ]
    for resource in resources:
        assert model_check(resource) == resource
    assert_valid_fhir(*resources)
