"""The R4 `CapabilityStatement` of exactly what backend/fhir/urls.py serves (GET /fhir/metadata)."""

from __future__ import annotations

from backend.fhir.resources.base import Json, checked

FHIR_VERSION = "4.0.1"
CODE_DOC = "LOINC code, as system|code or code: a lab's, or 97509-4 for the IMWG disease status."
EVERYTHING = "http://hl7.org/fhir/OperationDefinition/Patient-everything"


def _search(name: str, kind: str, doc: str) -> Json:
    return {"name": name, "type": kind, "documentation": doc}


def capability_statement(*, base_url: str, date: str) -> Json:
    count = _search("_count", "number", "Page size (1-2000; 500 when not given).")
    patient = _search("patient", "reference", "Required: Patient/{id} or {id}, a patient of the caller's clinic.")
    return checked(
        {
            "resourceType": "CapabilityStatement",
            "status": "active",
            "date": date,
            "publisher": "CareLoop",
            "kind": "instance",
            "software": {"name": "CareLoop"},
            "implementation": {"description": "CareLoop FHIR R4 facade", "url": base_url},
            "fhirVersion": FHIR_VERSION,
            "format": ["application/fhir+json", "json"],
            "rest": [
                {
                    "mode": "server",
                    "documentation": (
                        "Bearer token of a nurse or clinic admin, or an integration credential; "
                        "their clinic's patients only."
                    ),
                    "security": {
                        "cors": False,
                        "service": [{"text": "Bearer token (CareLoop contract §1)"}],
                        "description": "Integration credentials: manage.py fhir_credential (README, FHIR R4).",
                    },
                    "resource": [
                        {
                            "type": "Patient",
                            "interaction": [{"code": "read"}],
                            "operation": [{"name": "everything", "definition": EVERYTHING}],
                        },
                        {
                            "type": "Observation",
                            "interaction": [{"code": "search-type"}],
                            "documentation": "Laboratory results are created through a transaction or batch.",
                            "searchParam": [
                                patient,
                                _search("code", "token", CODE_DOC),
                                _search("date", "date", "effective date, with prefixes eq, ge, gt, le, lt."),
                                count,
                            ],
                        },
                        {
                            "type": "MedicationAdministration",
                            "interaction": [{"code": "search-type"}],
                            "searchParam": [patient, count],
                        },
                        {"type": "QuestionnaireResponse"},
                        {"type": "DetectedIssue"},
                        {"type": "CarePlan"},
                        {"type": "MedicationRequest"},
                    ],
                    "interaction": [
                        {"code": "transaction", "documentation": "laboratory Observations only"},
                        {"code": "batch", "documentation": "laboratory Observations only"},
                    ],
                }
            ],
        }
    )
