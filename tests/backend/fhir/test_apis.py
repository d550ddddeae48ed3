"""Specification of the FHIR R4 facade (contract §6). Every resource answered is checked by an
independent R4 validator (tests/fhir/validator.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from backend.alerts.grading import readings_grade
from backend.alerts.models import Alert
from backend.audit.models import AuditEvent
from backend.records.models import LabResult, LabSource
from backend.response.models import EnteredBy, MarkerResult
from backend.response.recompute import responses_recompute
from tests.backend.fhir.bundles import bundle, lab_observation
from tests.factories import EnrolledPatient, Person, dose_item, lab_item, symptom_item
from tests.fhir.validator import assert_valid_fhir

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
FHIR = "application/fhir+json"


@pytest.fixture(autouse=True)
def _now(clock: Any) -> None:
    clock(NOW)


def post(client: APIClient, body: dict[str, Any]) -> Any:
    return client.post("/fhir/", body, format="json")


def fhir(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith(FHIR)
    body: dict[str, Any] = response.json()
    assert_valid_fhir(body)
    return body


def issue_paths(outcome: dict[str, Any]) -> list[str]:
    assert outcome["resourceType"] == "OperationOutcome"
    return [path for issue in outcome["issue"] for path in issue.get("expression", [])]


def test_metadata_is_an_r4_capability_statement(anonymous: APIClient) -> None:
    body = fhir(anonymous.get("/fhir/metadata"), 200)
    assert body["resourceType"] == "CapabilityStatement"
    assert body["fhirVersion"] == "4.0.1"
    served = {r["type"]: r for r in body["rest"][0]["resource"]}
    assert {"Patient", "Observation", "MedicationAdministration"} <= set(served)
    code = next(p for p in served["Observation"]["searchParam"] if p["name"] == "code")
    assert "97509-4" in code["documentation"]  # the IMWG disease status is searched by its code


class TestTransaction:
    def test_a_platelet_count_is_stored_graded_and_alerted_as_a_synced_one(
        self, nurse: Person, patient: EnrolledPatient, fhir_enqueued: list[dict[str, Any]]
    ) -> None:
        answer = fhir(post(nurse.client(), bundle(lab_observation(patient.patient.pk, value=20))), 200)
        assert answer["type"] == "transaction-response"
        (entry,) = answer["entry"]
        assert entry["response"]["status"].startswith("201")
        row_id = UUID(entry["response"]["location"].split("/")[1])
        lab = LabResult.objects.get(pk=row_id)
        assert (lab.analyte, lab.value, lab.unit, lab.patient_id) == ("platelets", 20, "K/uL", patient.patient.pk)
        assert lab.source == LabSource.LAB_FEED
        assert fhir_enqueued == [{"lab_ids": [row_id], "symptom_ids": []}]
        readings_grade(lab_ids=[row_id])
        alert = Alert.objects.get(source_id=row_id)
        assert (alert.kind, alert.grade) == ("thrombocytopenia", 4)  # CTCAE v5.0: < 25 ×10⁹/L
        assert AuditEvent.objects.filter(
            patient_id=patient.patient.pk, resource="lab_result", actor=nurse.user
        ).exists()

    def test_the_same_identifier_again_changes_nothing(
        self, nurse: Person, patient: EnrolledPatient, fhir_enqueued: list[dict[str, Any]]
    ) -> None:
        sent = bundle(lab_observation(patient.patient.pk, value=20, identifier="ACC-1"))
        first = fhir(post(nurse.client(), sent), 200)
        again = fhir(post(nurse.client(), sent), 200)
        changed = bundle(lab_observation(patient.patient.pk, value=300, identifier="ACC-1"))
        third = fhir(post(nurse.client(), changed), 200)
        assert again["entry"][0]["response"]["status"].startswith("200")
        assert "outcome" not in again["entry"][0]["response"]
        assert third["entry"][0]["response"]["status"].startswith("200")
        (warning,) = third["entry"][0]["response"]["outcome"]["issue"]
        assert warning["severity"] == "warning" and "not changed" in warning["diagnostics"]
        assert again["entry"][0]["response"]["location"] == first["entry"][0]["response"]["location"]
        assert LabResult.objects.get().value == 20
        assert len(fhir_enqueued) == 1
        details = list(AuditEvent.objects.filter(resource="lab_result").values_list("detail", flat=True))
        assert details == [
            "lab feed, FHIR transaction: 1 stored, 0 already stored",
            "lab feed, FHIR transaction: 0 stored, 1 already stored",
            "lab feed, FHIR transaction: 0 stored, 1 already stored",
        ]

    def test_one_invalid_entry_stores_nothing_and_is_named(self, nurse: Person, patient: EnrolledPatient) -> None:
        good = lab_observation(patient.patient.pk)
        kelvin = lab_observation(patient.patient.pk, ucum="K/uL")  # K is kelvin in UCUM: never taken
        outcome = fhir(post(nurse.client(), bundle(good, kelvin)), 422)
        assert issue_paths(outcome) == ["Bundle.entry[1].resource.valueQuantity.code"]
        assert not LabResult.objects.exists()

    @pytest.mark.parametrize(
        ("change", "path"),
        [
            ({"effectiveDateTime": "2030-01-01T00:00:00Z"}, "effectiveDateTime"),
            (
                {"valueQuantity": {"value": 9000, "system": "http://unitsofmeasure.org", "code": "10*9/L"}},
                "valueQuantity.value",
            ),
            ({"code": {"coding": [{"system": "http://loinc.org", "code": "2345-7"}]}}, "code.coding"),
            ({"identifier": []}, "identifier"),
            ({"status": "preliminary"}, "status"),
            (
                {
                    "valueQuantity": {
                        "value": 20,
                        "comparator": "<",
                        "system": "http://unitsofmeasure.org",
                        "code": "10*9/L",
                    }
                },
                "valueQuantity.comparator",
            ),
        ],
    )
    def test_a_refused_field_is_named(
        self, nurse: Person, patient: EnrolledPatient, change: dict[str, Any], path: str
    ) -> None:
        outcome = fhir(
            post(nurse.client(), bundle({**lab_observation(patient.patient.pk), **change})),
            400 if path == "identifier" else 422,
        )
        assert issue_paths(outcome) == [f"Bundle.entry[0].resource.{path}"]
        assert not LabResult.objects.exists()

    def test_a_patient_of_another_clinic_is_not_found(
        self, nurse: Person, patient: EnrolledPatient, other_patient: EnrolledPatient
    ) -> None:
        sent = bundle(lab_observation(patient.patient.pk), lab_observation(other_patient.patient.pk))
        outcome = fhir(post(nurse.client(), sent), 404)
        assert issue_paths(outcome) == ["Bundle.entry[1].resource.subject"]
        assert not LabResult.objects.exists()

    @pytest.mark.parametrize(
        ("loinc", "value", "ucum", "marker"),
        [
            ("33358-3", 1.2, "g/dL", "serum_m_protein"),
            ("36916-5", 620, "mg/L", "kappa_flc"),
            ("33944-0", 1.2, "mg/dL", "lambda_flc"),
        ],
    )
    def test_a_response_marker_is_stored_as_the_care_teams_markers_are(
        self, nurse: Person, patient: EnrolledPatient, loinc: str, value: float, ucum: str, marker: str
    ) -> None:
        sent = bundle(lab_observation(patient.patient.pk, loinc=loinc, value=value, ucum=ucum))
        answer = fhir(post(nurse.client(), sent), 200)
        assert answer["entry"][0]["response"]["status"] == "201 Created"
        stored = MarkerResult.objects.get()
        assert (stored.marker, stored.unit, stored.entered_by) == (marker, ucum, EnteredBy.CARE_TEAM)
        assert not LabResult.objects.exists()

        again = fhir(post(nurse.client(), sent), 200)  # the same identifier again: nothing new
        assert again["entry"][0]["response"]["status"] == "200 OK"
        assert MarkerResult.objects.count() == 1
        search = nurse.client().get(
            "/fhir/Observation", {"patient": patient.patient.pk, "code": f"http://loinc.org|{loinc}"}
        )
        (found,) = fhir(search, 200)["entry"]
        assert found["resource"]["id"] == str(stored.id)
        labs = nurse.client().get("/fhir/Observation", {"patient": patient.patient.pk, "code": "777-3"})
        assert fhir(labs, 200)["total"] == 0

    def test_a_response_marker_in_the_wrong_unit_is_named(self, nurse: Person, patient: EnrolledPatient) -> None:
        marker = lab_observation(patient.patient.pk, loinc="33358-3", value=1.2, ucum="10*3/uL")
        outcome = fhir(post(nurse.client(), bundle(marker)), 422)
        assert issue_paths(outcome) == ["Bundle.entry[0].resource.valueQuantity.code"]
        assert not MarkerResult.objects.exists()

    @pytest.mark.parametrize(
        ("loinc", "value", "ucum", "analyte", "unit"),
        [
            ("751-8", 0.4, "10*9/L", "anc", "10^9/L"),
            ("6690-2", 3.1, "10*3/uL", "wbc", "K/uL"),
            ("718-7", 95, "g/L", "hemoglobin", "g/L"),
            ("2160-0", 150, "umol/L", "creatinine", "umol/L"),
            ("1742-6", 80, "U/L", "alt", "U/L"),
            ("1920-8", 80, "U/L", "ast", "U/L"),
            ("1975-2", 2.5, "mg/dL", "bilirubin", "mg/dL"),
            ("6768-6", 200, "U/L", "alkaline_phosphatase", "U/L"),
        ],
    )
    def test_each_loinc_code_and_ucum_unit(
        self, nurse: Person, patient: EnrolledPatient, loinc: str, value: float, ucum: str, analyte: str, unit: str
    ) -> None:
        sent = bundle(lab_observation(patient.patient.pk, loinc=loinc, value=value, ucum=ucum))
        fhir(post(nurse.client(), sent), 200)
        lab = LabResult.objects.get()
        assert (lab.analyte, lab.unit) == (analyte, unit)
        search = nurse.client().get(
            "/fhir/Observation", {"patient": patient.patient.pk, "code": f"http://loinc.org|{loinc}"}
        )
        (entry,) = fhir(search, 200)["entry"]
        assert entry["resource"]["valueQuantity"]["code"] == ucum

    def test_a_batch_takes_each_entry_on_its_own(self, nurse: Person, patient: EnrolledPatient) -> None:
        sent = bundle(lab_observation(patient.patient.pk), lab_observation(patient.patient.pk, ucum="g"), kind="batch")
        answer = fhir(post(nurse.client(), sent), 200)
        assert answer["type"] == "batch-response"
        good, bad = answer["entry"]
        assert good["response"]["status"].startswith("201")
        assert bad["response"]["status"].startswith("422")
        assert issue_paths(bad["response"]["outcome"]) == ["Bundle.entry[1].resource.valueQuantity.code"]
        assert LabResult.objects.count() == 1

    def test_an_entry_without_a_request_is_a_post(self, nurse: Person, patient: EnrolledPatient) -> None:
        sent = bundle(lab_observation(patient.patient.pk))
        del sent["entry"][0]["request"]
        fhir(post(nurse.client(), sent), 200)
        assert LabResult.objects.count() == 1
        sent["entry"][0]["request"] = {"method": "PUT", "url": "Observation/1"}
        outcome = fhir(post(nurse.client(), sent), 400)
        assert issue_paths(outcome) == ["Bundle.entry[0].request"]

    def test_a_body_too_big_or_not_json(self, nurse: Person, patient: EnrolledPatient, settings: Any) -> None:
        settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
        outcome = fhir(post(nurse.client(), bundle(*[lab_observation(patient.patient.pk)] * 5)), 413)
        assert outcome["issue"][0]["code"] == "too-costly"
        fhir(nurse.client().post("/fhir/", "x", content_type="text/plain"), 415)

    def test_an_empty_transaction_answers_an_empty_response(self, nurse: Person) -> None:
        answer = fhir(post(nurse.client(), bundle()), 200)
        assert answer == {"resourceType": "Bundle", "type": "transaction-response"}

    def test_not_a_bundle_is_an_operation_outcome(self, nurse: Person) -> None:
        fhir(post(nurse.client(), {"resourceType": "Patient"}), 400)
        response = nurse.client().generic("POST", "/fhir/", "{not json", content_type=FHIR)
        fhir(response, 400)


class TestAccess:
    def test_without_a_token(self, anonymous: APIClient, patient: EnrolledPatient) -> None:
        outcome = fhir(anonymous.get(f"/fhir/Patient/{patient.patient.pk}/$everything"), 401)
        assert outcome["issue"][0]["code"] == "login"

    def test_a_patient_token_is_forbidden(self, patient: EnrolledPatient) -> None:
        fhir(patient.client().get(f"/fhir/Patient/{patient.patient.pk}/$everything"), 403)
        fhir(post(patient.client(), bundle(lab_observation(patient.patient.pk))), 403)

    def test_another_clinics_patient_is_not_found(self, other_clinic_nurse: Person, patient: EnrolledPatient) -> None:
        fhir(other_clinic_nurse.client().get(f"/fhir/Patient/{patient.patient.pk}/$everything"), 404)
        fhir(other_clinic_nurse.client().get(f"/fhir/Patient/{patient.patient.pk}"), 404)
        fhir(other_clinic_nurse.client().get("/fhir/Observation", {"patient": patient.patient.pk}), 404)
        fhir(other_clinic_nurse.client().get("/fhir/Patient/not-a-uuid"), 404)


@pytest.fixture
def history(patient: EnrolledPatient) -> EnrolledPatient:
    """A patient who synced a low platelet count, a normal one, a diarrhea report and two doses."""
    items = {
        "lab_results": [lab_item(value=20), lab_item(value=200, collected_at="2026-11-10T08:00:00-05:00")],
        "symptom_reports": [symptom_item()],
        "dose_logs": [dose_item(), dose_item(drug="lenalidomide", status="vomited")],
    }
    answer = patient.client().post("/api/v1/sync/", items, format="json")
    assert answer.status_code == 200, answer.content
    readings_grade(
        lab_ids=[UUID(i["id"]) for i in items["lab_results"]],
        symptom_ids=[UUID(i["id"]) for i in items["symptom_reports"]],
    )
    return patient


@pytest.fixture
def assessed(nurse: Person, history: EnrolledPatient) -> dict[str, list[str]]:
    """The history, plus serum M-protein drawn at baseline (3.0 g/dL), then 1.4 and 1.3 (a PR, then
    its confirmation): the marker ids of each day, by day."""
    days = {"2026-10-20": 3.0, "2026-11-05": 1.4, "2026-11-19": 1.3}
    return {on: _serum(nurse, history, on, value) for on, value in days.items()}


def _serum(nurse: Person, patient: EnrolledPatient, on: str, value: float) -> list[str]:
    items = [
        {"id": str(uuid4()), "marker": "serum_m_protein", "value": value, "unit": "g/dL"},
        {"id": str(uuid4()), "marker": "serum_ife", "value": "positive"},
    ]
    for item in items:
        item["collected_at"] = f"{on}T08:30:00-05:00"
    answer = nurse.client().post(f"/api/v1/patients/{patient.patient.pk}/markers/", items, format="json")
    assert answer.status_code == 201, answer.content
    responses_recompute(patient_ids=[patient.patient.pk])  # what the task does once they commit
    return [item["id"] for item in items]


def disease_statuses(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        e["resource"]
        for e in bundle.get("entry", [])
        if e["resource"].get("code", {}).get("coding", [{}])[0].get("code") == "97509-4"
    ]


class TestEverything:
    def test_the_whole_record(self, nurse: Person, history: EnrolledPatient) -> None:
        body = fhir(nurse.client().get(f"/fhir/Patient/{history.patient.pk}/$everything"), 200)
        assert body["type"] == "searchset"
        kinds = [e["resource"]["resourceType"] for e in body["entry"]]
        assert kinds[0] == "Patient"
        assert kinds.count("Observation") == 3  # two labs, the symptom's CTCAE grade
        assert {"QuestionnaireResponse", "MedicationAdministration", "DetectedIssue"} <= set(kinds)
        assert kinds[1:6] == ["CarePlan"] + ["MedicationRequest"] * 4  # the regimen, a request per drug
        requests = {e["resource"]["id"]: e["resource"] for e in body["entry"][2:6]}
        ixazomib = requests[f"ird-{history.patient.pk}-ixazomib"]
        assert ixazomib["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]["value"] == 4
        issue = next(e["resource"] for e in body["entry"] if e["resource"]["resourceType"] == "DetectedIssue")
        assert {ref["reference"] for ref in issue["implicated"]} == {
            f"MedicationRequest/ird-{history.patient.pk}-ixazomib",
            f"MedicationRequest/ird-{history.patient.pk}-lenalidomide",
        }
        assert body["total"] == len(kinds)
        labs = [
            e["resource"]
            for e in body["entry"]
            if e["resource"].get("category", [{}])[0].get("coding", [{}])[0].get("code") == "laboratory"
        ]
        assert {lab["code"]["coding"][0]["code"] for lab in labs} == {"777-3"}
        assert {lab["valueQuantity"]["code"] for lab in labs} == {"10*9/L"}
        assert {lab["meta"]["source"] for lab in labs} == {"urn:careloop:source:phone"}  # synced by the phone
        doses = {
            e["resource"]["status"]
            for e in body["entry"]
            if e["resource"]["resourceType"] == "MedicationAdministration"
        }
        assert doses == {"completed", "not-done"}
        assert AuditEvent.objects.filter(patient_id=history.patient.pk, resource="fhir_everything").exists()

    def test_a_lab_feeds_result_says_where_it_came_from(self, nurse: Person, history: EnrolledPatient) -> None:
        fhir(post(nurse.client(), bundle(lab_observation(history.patient.pk, value=150, identifier="ACC-9"))), 200)
        body = fhir(nurse.client().get(f"/fhir/Patient/{history.patient.pk}/$everything"), 200)
        sources = [
            e["resource"]["meta"]["source"]
            for e in body["entry"]
            if e["resource"].get("code", {}).get("coding", [{}])[0].get("code") == "777-3"
        ]
        assert sorted(sources) == ["urn:careloop:source:lab-feed", *["urn:careloop:source:phone"] * 2]

    def test_the_response_markers_are_observations_too(self, nurse: Person, history: EnrolledPatient) -> None:
        """Contract §6: $everything carries the marker Observations (LOINC code, UCUM quantity)."""
        markers = [
            {"id": str(uuid4()), "marker": "serum_m_protein", "value": 2.1, "unit": "g/dL"},
            {"id": str(uuid4()), "marker": "urine_m_protein", "value": 350, "unit": "mg/24h"},
            {"id": str(uuid4()), "marker": "serum_ife", "value": "positive"},
        ]
        for item in markers:
            item["collected_at"] = "2026-10-30T08:30:00-04:00"
        answer = nurse.client().post(f"/api/v1/patients/{history.patient.pk}/markers/", markers, format="json")
        assert answer.status_code == 201, answer.content

        body = fhir(nurse.client().get(f"/fhir/Patient/{history.patient.pk}/$everything"), 200)
        found = {e["resource"]["id"]: e["resource"] for e in body["entry"]}
        spep, upep, ife = (found[m["id"]] for m in markers)
        assert (spep["code"]["coding"][0]["code"], spep["valueQuantity"]["code"]) == ("33358-3", "g/dL")
        assert upep["valueQuantity"] == {
            "value": 350,
            "unit": "mg/24 h",
            "system": "http://unitsofmeasure.org",
            "code": "mg/(24.h)",
        }
        assert (ife["code"]["text"], ife["valueString"]) == ("Serum immunofixation", "positive")

    def test_the_imwg_assessments_are_disease_status_observations(
        self, nurse: Person, history: EnrolledPatient, assessed: dict[str, list[str]]
    ) -> None:
        body = fhir(nurse.client().get(f"/fhir/Patient/{history.patient.pk}/$everything"), 200)
        found = disease_statuses(body)
        assert [(r["effectiveDateTime"], r["status"]) for r in found] == [
            ("2026-11-05", "preliminary"),  # a PR awaiting its confirmation
            ("2026-11-19", "final"),  # the second PR in a row confirms it
        ]
        assert [r["valueCodeableConcept"]["coding"][1]["code"] for r in found] == ["PR", "PR"]
        assert [r["id"] for r in found] == [
            f"imwg-{history.patient.pk}-2026-11-05",
            f"imwg-{history.patient.pk}-2026-11-19",
        ]
        for resource, on in zip(found, ("2026-11-05", "2026-11-19"), strict=True):
            assert {ref["reference"] for ref in resource["derivedFrom"]} == {f"Observation/{m}" for m in assessed[on]}
        served = {e["resource"]["id"] for e in body["entry"]}
        assert {ref["reference"].removeprefix("Observation/") for r in found for ref in r["derivedFrom"]} <= served

    def test_its_queries_do_not_grow_with_the_assessments(
        self, nurse: Person, history: EnrolledPatient, assessed: dict[str, list[str]]
    ) -> None:
        path = f"/fhir/Patient/{history.patient.pk}/$everything"

        def queries() -> int:
            with CaptureQueriesContext(connection) as captured:
                fhir(nurse.client().get(path), 200)
            return len(captured.captured_queries)

        before = queries()
        _serum(nurse, history, "2026-11-16", 1.2)
        _serum(nurse, history, "2026-11-17", 1.1)
        assert len(disease_statuses(fhir(nurse.client().get(path), 200))) == 4
        assert queries() == before

    def test_paged_with_a_next_link(self, nurse: Person, history: EnrolledPatient) -> None:
        whole = fhir(nurse.client().get(f"/fhir/Patient/{history.patient.pk}/$everything"), 200)
        url: str | None = f"/fhir/Patient/{history.patient.pk}/$everything?_count=2"
        seen = []
        while url:
            page = fhir(nurse.client().get(url), 200)
            assert len(page["entry"]) <= 2
            seen += [e["fullUrl"] for e in page["entry"]]
            url = next((link["url"] for link in page["link"] if link["relation"] == "next"), None)
        assert seen == [e["fullUrl"] for e in whole["entry"]]

    def test_its_queries_do_not_grow_with_the_history(self, nurse: Person, history: EnrolledPatient) -> None:
        path = f"/fhir/Patient/{history.patient.pk}/$everything"

        def queries() -> int:
            with CaptureQueriesContext(connection) as captured:
                fhir(nurse.client().get(path), 200)
            return len(captured.captured_queries)

        queries()  # the first request checks the nurse's token in the database; later ones use the cache
        before = queries()
        more = {
            "lab_results": [lab_item(value=150 + i, collected_at=f"2026-10-{i + 1:02d}T08:00:00Z") for i in range(20)],
            "symptom_reports": [symptom_item() for _ in range(5)],
            "dose_logs": [dose_item(taken_at=f"2026-10-{i + 1:02d}T09:00:00Z") for i in range(20)],
        }
        assert history.client().post("/api/v1/sync/", more, format="json").status_code == 200
        assert queries() == before

    def test_patient_read(self, nurse: Person, history: EnrolledPatient) -> None:
        body = fhir(nurse.client().get(f"/fhir/Patient/{history.patient.pk}"), 200)
        assert body["name"][0]["text"] == "Pat Doe"


class TestSearch:
    def test_by_code_and_date(self, nurse: Person, history: EnrolledPatient) -> None:
        client = nurse.client()
        both = fhir(
            client.get("/fhir/Observation", {"patient": history.patient.pk, "code": "http://loinc.org|777-3"}), 200
        )
        assert both["total"] == 2
        recent = fhir(
            client.get(
                "/fhir/Observation",
                {"patient": f"Patient/{history.patient.pk}", "code": "777-3", "date": "ge2026-11-15"},
            ),
            200,
        )
        assert [e["resource"]["valueQuantity"]["value"] for e in recent["entry"]] == [20]
        none = fhir(
            client.get("/fhir/Observation", {"patient": history.patient.pk, "code": "http://loinc.org|718-7"}), 200
        )
        assert none["total"] == 0 and "entry" not in none  # FHIR JSON has no empty arrays
        fhir(client.get("/fhir/Observation", {"patient": history.patient.pk, "date": "ge-yesterday"}), 400)
        fhir(client.get("/fhir/Observation"), 400)

    def test_by_the_disease_status_code(
        self, nurse: Person, history: EnrolledPatient, assessed: dict[str, list[str]]
    ) -> None:
        client = nurse.client()
        for code in ("http://loinc.org|97509-4", "97509-4"):
            body = fhir(client.get("/fhir/Observation", {"patient": history.patient.pk, "code": code}), 200)
            assert body["total"] == 2 and len(disease_statuses(body)) == 2
        later = fhir(
            client.get("/fhir/Observation", {"patient": history.patient.pk, "code": "97509-4", "date": "ge2026-11-10"}),
            200,
        )
        assert [r["effectiveDateTime"] for r in disease_statuses(later)] == ["2026-11-19"]
        both = fhir(client.get("/fhir/Observation", {"patient": history.patient.pk, "code": "777-3,97509-4"}), 200)
        assert both["total"] == 4  # two platelet counts and the two assessments
        labs = fhir(client.get("/fhir/Observation", {"patient": history.patient.pk, "code": "777-3"}), 200)
        assert disease_statuses(labs) == []
        everything = fhir(client.get("/fhir/Observation", {"patient": history.patient.pk}), 200)
        assert len(disease_statuses(everything)) == 2

    def test_medication_administrations(self, nurse: Person, history: EnrolledPatient) -> None:
        body = fhir(nurse.client().get("/fhir/MedicationAdministration", {"patient": history.patient.pk}), 200)
        codes = {e["resource"]["medicationCodeableConcept"]["coding"][0]["code"] for e in body["entry"]}
        assert codes == {"1723735", "342369"}  # RxNorm ixazomib, lenalidomide
