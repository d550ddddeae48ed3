"""fhirclient's R4 models check what leaves: once per shape of resource, so a bug of mapping is
caught however many resources of a known shape came before."""

from __future__ import annotations

import pytest
from fhirclient.models.fhirabstractbase import FHIRValidationError

from backend.fhir.resources.base import checked


def observation(**extra: object) -> dict[str, object]:
    return {"resourceType": "Observation", "status": "final", "code": {"text": "Platelets"}, **extra}


def test_a_valid_resource_is_answered_as_built() -> None:
    resource = observation(valueInteger=3)
    assert checked(resource) == resource
    assert checked(observation(valueInteger=4)) == observation(valueInteger=4)  # same shape


@pytest.mark.parametrize(
    "bad",
    [
        observation(valueInteger="3"),  # a known element with a value of the wrong type
        observation(grade=3),  # an element R4 does not have
        {"resourceType": "Observation", "code": {"text": "Platelets"}},  # status is required
    ],
)
def test_a_new_shape_is_checked_even_after_a_similar_one(bad: dict[str, object]) -> None:
    checked(observation(valueInteger=3))
    with pytest.raises(FHIRValidationError):
        checked(bad)
