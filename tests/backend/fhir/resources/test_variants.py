"""The long reads skip the per-resource shape walk: each mapping names its resource's *variant*
(backend/fhir/resources/base.py), and the process checks the first resource of each variant by
fhirclient's model. These specifications build every variant of every mapping and hold it to
fhirclient's model, to the independent npm validator, and to the promise the variant makes: one
variant, one shape."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from backend.alerts.models import Alert, Severity, SourceType, Status
from backend.fhir.resources import base, detected_issue, disease_status, medication_administration, observation
from backend.fhir.resources import questionnaire_response as qr
from backend.fhir.resources.base import instant, model_check
from backend.fhir.sql_text import FhirId, FhirInstant
from backend.records.models import DoseLog, LabResult, SymptomReport
from backend.response.models import MarkerResult, ResponseAssessment
from tests.factories import EnrolledPatient
from tests.fhir.validator import assert_valid_fhir

AT = datetime(2026, 3, 29, 0, 59, 59, 999_999, tzinfo=UTC)  # the last second before a DST change
PATIENT = uuid.uuid4()


def _lab(**extra: Any) -> LabResult:
    row = {"analyte": "platelets", "value": Decimal("98"), "unit": "K/uL", "grade": 1, **extra}
    return LabResult(id=uuid.uuid4(), patient_id=PATIENT, collected_at=AT, received_at=AT, **row)


def _report(symptom: str, answers: dict[str, Any], grade: int | None) -> SymptomReport:
    return SymptomReport(
        id=uuid.uuid4(),
        patient_id=PATIENT,
        symptom=symptom,
        answers=answers,
        grade=grade,
        reported_at=AT,
        received_at=AT,
    )


def _marker(marker: str, **extra: Any) -> MarkerResult:
    return MarkerResult(id=uuid.uuid4(), patient_id=PATIENT, marker=marker, collected_at=AT, received_at=AT, **extra)


def _alert(**extra: Any) -> Alert:
    row = {
        "kind": "thrombocytopenia",
        "grade": 4,
        "severity": Severity.CRITICAL,
        "status": Status.OPEN,
        "title": "Grade 4 thrombocytopenia",
        "message": "Call the patient today.",
        "rule_source": "CTCAE v5.0",
        "source_type": SourceType.LAB_RESULT,
        "hold_drugs": [],
        **extra,
    }
    return Alert(id=uuid.uuid4(), patient_id=PATIENT, source_id=uuid.uuid4(), created_at=AT, **row)


def every_variant() -> Iterator[dict[str, Any]]:
    for own in ({}, {"reference_low": Decimal("150")}, {"reference_high": Decimal("450")}):
        for grade in (None, 0, 4):
            yield observation.lab_observation(_lab(grade=grade, **own), "female")
    yield observation.lab_observation(_lab(analyte="hemoglobin", value=Decimal("11.2"), unit="g/dL"), "")
    yield observation.lab_observation(_lab(analyte="creatinine", value=Decimal("88"), unit="umol/L"), "male")
    for source in ("care_team", "lab_feed"):  # where it came from changes a value, not the shape
        yield observation.lab_observation(_lab(source=source), "female")
    for report in (
        _report("diarrhea", {"stools_above_usual": 5, "hospital": False}, 3),
        _report("fever", {"temperature_c": 38.6}, None),
        _report("rash", {"body_area": "trunk", "unasked": "words"}, 1),
        _report("hiccups", {}, None),  # a term CareLoop has no MedDRA code or questions for
    ):
        yield observation.symptom_observation(report)
        yield qr.questionnaire_response(report)
    yield observation.marker_observation(_marker("serum_m_protein", value=Decimal("1.50"), unit="g/dL"))
    yield observation.marker_observation(_marker("urine_m_protein", value=Decimal("160"), unit="mg/24h"))
    yield observation.marker_observation(_marker("serum_ife", text="negative", method="", sensitivity=""))
    for drug, status in (("ixazomib", "taken"), ("lenalidomide", "skipped"), ("antiviral", "vomited")):
        yield medication_administration.medication_administration(
            DoseLog(id=uuid.uuid4(), patient_id=PATIENT, drug=drug, status=status, taken_at=AT)
        )
    yield detected_issue.detected_issue(_alert())
    yield detected_issue.detected_issue(
        _alert(status=Status.ACKNOWLEDGED, acknowledged_at=AT, hold_drugs=["ixazomib", "lenalidomide"])
    )
    yield detected_issue.detected_issue(
        _alert(status=Status.RESOLVED, acknowledged_at=AT, resolved_at=AT, resolution_note="Dose held.")
    )
    yield detected_issue.detected_issue(_alert(source_type=SourceType.RESPONSE, kind="progression"))
    for category, confirmed, markers in (("PR", False, 0), ("PD", True, 1), ("sCR", True, 3), ("NE", False, 2)):
        row = ResponseAssessment(
            patient_id=PATIENT, day=AT.date(), category=category, confirmed=confirmed, computed_at=AT
        )
        yield disease_status.disease_status_observation(row, [uuid.uuid4() for _ in range(markers)])


@pytest.fixture
def variants(monkeypatch: pytest.MonkeyPatch) -> dict[tuple[object, ...], set[tuple[object, ...]]]:
    """Each variant a mapping names, with the shapes (walked, a JSON number as a number) it was given to."""
    seen: dict[tuple[object, ...], set[tuple[object, ...]]] = defaultdict(set)
    real = base.checked

    def recording(resource: dict[str, Any], variant: tuple[object, ...] | None = None) -> dict[str, Any]:
        if variant is not None:
            shape = tuple(float if kind is int else kind for kind in base._shape(resource))
            seen[(resource["resourceType"], *variant)].add(shape)
        return real(resource, variant)

    for module in (observation, medication_administration, qr, detected_issue, disease_status):
        monkeypatch.setattr(module, "checked", recording)
    return seen


def test_every_variant_is_r4_by_fhirclients_model_and_by_the_npm_validator(variants: Any) -> None:
    resources = list(every_variant())
    for resource in resources:
        assert model_check(resource) == resource  # strict: an unknown element or a wrong type raises
    assert_valid_fhir(*resources)


def test_a_variant_names_one_shape(variants: dict[tuple[object, ...], set[tuple[object, ...]]]) -> None:
    list(every_variant())
    assert len(variants) >= 20
    assert {v: len(shapes) for v, shapes in variants.items() if len(shapes) != 1} == {}


@pytest.mark.django_db
def test_the_database_writes_an_instant_and_an_id_as_the_mappings_do(patient: EnrolledPatient) -> None:
    moments = [AT, AT + timedelta(microseconds=1), datetime(2025, 1, 1, tzinfo=UTC), timezone.now()]
    for at in moments:
        LabResult.objects.create(
            id=uuid.uuid4(),
            patient=patient.patient,
            analyte="platelets",
            value=Decimal(120),
            unit="K/uL",
            canonical_value=Decimal(120),
            collected_at=at,
            received_at=at,
            fingerprint="t",
        )
    rows = LabResult.objects.filter(patient=patient.patient).order_by("collected_at")
    assert list(rows.values_list(FhirInstant("collected_at"), flat=True)) == [instant(at) for at in sorted(moments)]
    texts = rows.values_list(FhirId("id"), FhirId("patient_id"), "id")
    assert [(row_id, patient_id) for row_id, patient_id, _ in texts] == [
        (str(row_id), str(patient.patient.pk)) for _, _, row_id in texts
    ]
    assert instant(AT) == "2026-03-29T00:59:59+00:00"
