"""No client input makes FHIR answer a 500 (common brief): each malformed Bundle, entry or query
below is an OperationOutcome with a 4xx, and stores nothing."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from backend.records.models import LabResult
from tests.backend.fhir.bundles import bundle, lab_observation
from tests.factories import EnrolledPatient, Person
from tests.fhir.validator import assert_valid_fhir

pytestmark = pytest.mark.django_db

_Q = {"system": "http://unitsofmeasure.org", "code": "10*9/L"}
MUTATIONS: list[tuple[str, Any]] = [
    ("entry", "not a list"),
    ("entry", ["not an object"]),
    ("entry", [{"resource": "not an object", "request": {"method": "POST", "url": "Observation"}}]),
    ("entry", [{"request": "POST"}]),
    ("resource.code", "777-3"),
    ("resource.code", {"coding": "777-3"}),
    ("resource.code", {"coding": ["777-3", None, 5]}),
    ("resource.subject", "Patient/1"),
    ("resource.subject", {"reference": "Patient/"}),
    ("resource.subject", {"reference": "Patient/not-a-uuid"}),
    ("resource.subject", {"reference": 42}),
    ("resource.identifier", ["ACC-1"]),
    ("resource.identifier", [{"value": ""}]),
    ("resource.identifier", {"value": "ACC-1"}),
    ("resource.valueQuantity", {"value": 1e308, **_Q}),
    ("resource.valueQuantity", {"value": -5, **_Q}),
    ("resource.valueQuantity", {"value": True, **_Q}),
    ("resource.valueQuantity", {"value": "20", **_Q}),
    ("resource.valueQuantity", {"value": 20, "code": "10*9/L"}),
    ("resource.valueQuantity", {"value": 20, "system": "http://unitsofmeasure.org", "code": None}),
    ("resource.valueQuantity", [20]),
    ("resource.effectiveDateTime", "2026-13-01T00:00:00Z"),
    ("resource.effectiveDateTime", "2026-11-20"),
    ("resource.effectiveDateTime", 20261120),
    ("resource.referenceRange", [1]),
    ("resource.referenceRange", [{"low": {"value": "x"}}]),
    ("resource.referenceRange", [{"low": {"value": 500, "system": "http://unitsofmeasure.org", "code": "g/dL"}}]),
    ("resource.referenceRange", [{"low": {"value": 500, **_Q}, "high": {"value": 100, **_Q}}]),
    ("resource.status", None),
    ("resource.resourceType", "Patient"),
    ("request.method", "DELETE"),
    ("request.url", 5),
]


def _mutated(patient_id: object, path: str, value: Any) -> dict[str, Any]:
    sent = bundle(lab_observation(patient_id))
    if path == "entry":
        sent["entry"] = value
        return sent
    node = sent["entry"][0]
    *parents, last = path.split(".")
    for name in parents:
        node = node[name]
    node[last] = copy.deepcopy(value)
    return sent


@pytest.mark.parametrize(("path", "value"), MUTATIONS, ids=[f"{p}={v!r}"[:60] for p, v in MUTATIONS])
@pytest.mark.parametrize("kind", ["transaction", "batch"])
def test_a_malformed_entry_is_refused_not_a_500(
    nurse: Person, patient: EnrolledPatient, path: str, value: Any, kind: str
) -> None:
    sent = _mutated(patient.patient.pk, path, value)
    sent["type"] = kind
    response = nurse.client().post("/fhir/", sent, format="json")
    assert response.status_code < 500, response.content
    body = response.json()
    assert_valid_fhir(body)
    if kind == "transaction" or (path == "entry" and value == "not a list"):
        assert 400 <= response.status_code < 500 and body["resourceType"] == "OperationOutcome"
    else:
        assert response.status_code == 200
        assert body["entry"][0]["response"]["status"][0] == "4"
    assert not LabResult.objects.exists()


@pytest.mark.parametrize(
    "query",
    [
        "_count=abc",
        "_count=0",
        "_count=100000",
        "_offset=-1",
        "date=ge",
        "date=ge2026-02-30",
        "date=xx2026",
        "code=|",
        "code=http://loinc.org|",
    ],
)
def test_a_malformed_query_is_refused_not_a_500(nurse: Person, patient: EnrolledPatient, query: str) -> None:
    for path in (
        f"/fhir/Observation?patient={patient.patient.pk}&",
        f"/fhir/Patient/{patient.patient.pk}/$everything?",
    ):
        response = nurse.client().get(path + query)
        assert response.status_code < 500, response.content
        assert_valid_fhir(response.json())


@pytest.mark.parametrize("patient_ref", ["", "Patient/", "Patient/x", "Patient/" + "9" * 40, "Observation/1"])
def test_a_malformed_patient_is_not_found(nurse: Person, patient_ref: str) -> None:
    response = nurse.client().get("/fhir/Observation", {"patient": patient_ref})
    assert response.status_code in (400, 404)
    assert response.json()["resourceType"] == "OperationOutcome"
