"""A response assessment (backend.response.models.ResponseAssessment: all markers of one local day
after the baseline, the IMWG category that day meets and whether it is confirmed; contract §5) as
an R4 `Observation` of the cancer disease status, as mCODE's CancerDiseaseStatus profile has it
(imwg-and-codes.md §2; codes in backend.fhir.codes).

- `code`: LOINC 97509-4 "Cancer disease status".
- `valueCodeableConcept`: the SNOMED CT trend (improved for MR or better, stable for SD, worsened
  for PD, undetermined for NE) and the IMWG category (sCR ... NE) in CareLoop's own code system;
  `text` names the category and says whether it is confirmed.
- `status`: `final` once confirmed (IMWG: two consecutive assessments meet it, or a new lesion for
  PD), `preliminary` while it waits for the next assessment: R4's "initial or interim" result.
- `effectiveDateTime`: the assessment's day (a date: its markers were drawn that day in the
  patient's zone); `issued`: when CareLoop last computed it (computed_at).
- `derivedFrom`: the marker Observations of that day (their ids, looked up by the caller).
- `id`: `imwg-{patient}-{day}`: one assessment a day, and stable across recomputes (the rows are
  rewritten each time)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from backend.fhir.codes import (
    DISEASE_STATUS_LOINC,
    DISEASE_STATUS_NAME,
    IMWG_NAMES,
    IMWG_SYSTEM,
    LOINC,
    SNOMED,
    TREND_BY_IMWG,
)
from backend.fhir.resources.base import Json, checked, instant, reference
from backend.response.models import ResponseAssessment

METHOD = "IMWG uniform response criteria (Kumar et al., Lancet Oncol 2016; Durie et al., Leukemia 2006)"


def disease_status_id(patient_id: object, day: date) -> str:
    return f"imwg-{patient_id}-{day.isoformat()}"


def disease_status_observation(row: ResponseAssessment, marker_ids: Sequence[object] = ()) -> Json:
    category = row.category
    name = IMWG_NAMES.get(category, category)
    trend, trend_display = TREND_BY_IMWG.get(category, TREND_BY_IMWG["NE"])
    text = f"IMWG {category} ({name}), {'confirmed' if row.confirmed else 'not yet confirmed'}"
    resource: Json = {
        "resourceType": "Observation",
        "id": disease_status_id(row.patient_id, row.day),
        "status": "final" if row.confirmed else "preliminary",
        "code": {
            "coding": [{"system": LOINC, "code": DISEASE_STATUS_LOINC, "display": DISEASE_STATUS_NAME}],
            "text": DISEASE_STATUS_NAME,
        },
        "subject": reference("Patient", row.patient_id),
        "effectiveDateTime": row.day.isoformat(),
        "issued": instant(row.computed_at),
        "valueCodeableConcept": {
            "coding": [
                {"system": SNOMED, "code": trend, "display": trend_display},
                {"system": IMWG_SYSTEM, "code": category, "display": name},
            ],
            "text": text,
        },
        "method": {"text": METHOD},
    }
    if marker_ids:
        resource["derivedFrom"] = [reference("Observation", m) for m in marker_ids]
    return checked(resource, ("disease_status", len(marker_ids)))  # each count of references is a shape
