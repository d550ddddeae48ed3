"""Specification of patients and enrollment (contract §2): a nurse creates a patient and a
single-use code; the patient's phone trades the code for its own token."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from backend.audit.models import AuditEvent
from backend.patients.models import Patient
from backend.patients.services import (
    CODE_EXPIRED,
    CODE_INVALID,
    CODE_USED,
    enrollment_code_issue,
)
from tests.backend.support import (
    NUMBER_EXTREMES,
    PATIENTS_URL,
    SYNC_URL,
    as_json,
    error_fields,
    placeholder,
    post_json,
    post_raw,
    rows,
)
from tests.factories import EnrolledPatient, Person, make_patient

ENROLL_URL = "/api/v1/auth/enroll/"


def new_patient(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "display_name": "Maria Lopez",
        "timezone": "America/Chicago",
        "regimen": {"start_date": "2026-11-02", "ixazomib_mg": 4, "lenalidomide_mg": 25, "dexamethasone_mg": 40},
    }
    body.update(overrides)
    return body


def regimen(**overrides: Any) -> dict[str, Any]:
    return {"start_date": "2026-11-02", "ixazomib_mg": 4, "lenalidomide_mg": 25, "dexamethasone_mg": 40} | overrides


def create(nurse: Person, **overrides: Any) -> dict[str, Any]:
    response = nurse.client().post(PATIENTS_URL, new_patient(**overrides), format="json")
    assert response.status_code == 201, response.content
    return response.json()


def enroll(code: str, device_name: str = "Maria's phone") -> Any:
    return APIClient().post(ENROLL_URL, {"code": code, "device_name": device_name}, format="json")


# --- POST /api/v1/patients/ ------------------------------------------------------------------


def test_a_nurse_creates_a_patient_and_gets_an_enrollment_code(nurse: Person) -> None:
    response = nurse.client().post(PATIENTS_URL, new_patient(), format="json")

    assert response.status_code == 201
    body = response.json()
    assert {"id", "enrollment_code", "display_name", "timezone", "regimen"} <= set(body)
    assert re.fullmatch(r"[2-9A-Z]{4}-[2-9A-Z]{4}", body["enrollment_code"])
    assert body["display_name"] == "Maria Lopez"
    assert body["timezone"] == "America/Chicago"
    assert body["regimen"]["start_date"] == "2026-11-02"
    assert (body["regimen"]["ixazomib_mg"], body["regimen"]["lenalidomide_mg"]) == ("4", "25")
    patient = Patient.objects.get(pk=body["id"])
    assert patient.clinic_id == nurse.user.clinic_id
    assert patient.user is None


@pytest.mark.parametrize("left_out", ["ixazomib_mg", "lenalidomide_mg", "dexamethasone_mg"])
def test_a_dose_left_out_defaults_to_the_full_ird_dose(nurse: Person, left_out: str) -> None:
    body = new_patient()
    del body["regimen"][left_out]

    response = APIClient(raise_request_exception=False)
    response.credentials(HTTP_AUTHORIZATION=f"Bearer {nurse.token}")
    answer = response.post(PATIENTS_URL, body, format="json")

    assert answer.status_code == 201, answer.content
    full = {"ixazomib_mg": "4", "lenalidomide_mg": "25", "dexamethasone_mg": "40"}
    assert answer.json()["regimen"][left_out] == full[left_out]


@pytest.mark.parametrize(("ixazomib", "lenalidomide"), [("3", "20"), ("2.3", "2.5"), (4, 10)])
def test_reduced_dose_levels_are_accepted(nurse: Person, ixazomib: object, lenalidomide: object) -> None:
    body = create(nurse, regimen=regimen(ixazomib_mg=ixazomib, lenalidomide_mg=lenalidomide))

    assert body["regimen"]["ixazomib_mg"] == str(ixazomib)
    assert body["regimen"]["lenalidomide_mg"] == str(lenalidomide)


def test_a_clinic_admin_may_create_patients(clinic_admin: Person) -> None:
    body = create(clinic_admin)

    assert Patient.objects.get(pk=body["id"]).clinic_id == clinic_admin.user.clinic_id


@pytest.mark.parametrize("tz", ["Mars/Olympus_Mons", "EST-5", "america/new_york", "", "+05:00"])
def test_a_timezone_that_is_not_an_iana_name_is_400(nurse: Person, tz: str) -> None:
    response = nurse.client().post(PATIENTS_URL, new_patient(timezone=tz), format="json")

    assert response.status_code == 400
    errors = error_fields(response)
    assert list(errors) == ["timezone"]
    assert isinstance(errors["timezone"], list) and errors["timezone"]
    assert Patient.objects.count() == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [("ixazomib_mg", 5), ("ixazomib_mg", "3.5"), ("lenalidomide_mg", 12), ("dexamethasone_mg", 80)],
)
def test_a_dose_that_is_not_a_dose_level_is_400_naming_the_field(nurse: Person, field: str, value: object) -> None:
    response = nurse.client().post(PATIENTS_URL, new_patient(regimen=regimen(**{field: value})), format="json")

    assert response.status_code == 400
    errors = error_fields(response)
    assert list(errors) == [f"regimen.{field}"]
    assert isinstance(errors[f"regimen.{field}"], list) and errors[f"regimen.{field}"]
    assert Patient.objects.count() == 0


@pytest.mark.parametrize("number", NUMBER_EXTREMES)
@pytest.mark.parametrize("field", ["ixazomib_mg", "lenalidomide_mg", "dexamethasone_mg"])
def test_a_dose_at_an_extreme_is_400_naming_the_field(nurse: Person, field: str, number: str) -> None:
    body = new_patient(regimen=regimen(**{field: placeholder(number)}))

    response = post_raw(nurse.client(), PATIENTS_URL, as_json(body))

    assert response.status_code == 400
    assert list(error_fields(response)) == [f"regimen.{field}"]
    assert Patient.objects.count() == 0


def test_a_dose_level_error_lists_the_levels(nurse: Person) -> None:
    response = nurse.client().post(PATIENTS_URL, new_patient(regimen=regimen(ixazomib_mg=5)), format="json")

    assert error_fields(response) == {"regimen.ixazomib_mg": ["Must be a NINLARO dose level: 4, 3, 2.3 mg."]}


def test_a_missing_regimen_is_400_naming_regimen(nurse: Person) -> None:
    body = new_patient()
    del body["regimen"]

    response = nurse.client().post(PATIENTS_URL, body, format="json")

    assert response.status_code == 400
    assert error_fields(response) == {"regimen": ["This field is required."]}


@pytest.mark.parametrize("field", ["display_name", "timezone"])
def test_a_missing_field_is_400_naming_it(nurse: Person, field: str) -> None:
    body = new_patient()
    del body[field]

    response = nurse.client().post(PATIENTS_URL, body, format="json")

    assert response.status_code == 400
    assert error_fields(response) == {field: ["This field is required."]}


@pytest.mark.parametrize("bad_regimen", [{"ixazomib_mg": 4}, regimen(ixazomib_mg="four")])
def test_every_error_in_a_nested_regimen_is_a_list_of_messages(nurse: Person, bad_regimen: dict[str, Any]) -> None:
    response = nurse.client().post(PATIENTS_URL, new_patient(regimen=bad_regimen), format="json")

    assert response.status_code == 400
    errors = error_fields(response)
    assert errors
    assert all(isinstance(v, list) and all(isinstance(m, str) for m in v) for v in errors.values()), errors


@pytest.mark.parametrize("body", [[], "text", None])
def test_a_body_that_is_not_an_object_is_400(nurse: Person, body: object) -> None:
    response = post_json(nurse.client(), PATIENTS_URL, body)

    assert response.status_code == 400
    assert "errors" in response.json()


def test_creating_a_patient_is_audited(nurse: Person) -> None:
    body = create(nurse)

    event = AuditEvent.objects.get(action="create", resource="patient")
    assert (str(event.patient_id), event.actor_id, event.actor_role) == (body["id"], nurse.user.pk, "nurse")


def test_a_patient_cannot_create_patients(patient: EnrolledPatient) -> None:
    response = patient.client().post(PATIENTS_URL, new_patient(), format="json")

    assert response.status_code == 403
    assert Patient.objects.count() == 1


def test_a_caregiver_cannot_create_patients(caregiver: Person) -> None:
    assert caregiver.client().post(PATIENTS_URL, new_patient(), format="json").status_code == 403


def test_creating_a_patient_without_a_token_is_401(db: None, anonymous: APIClient) -> None:
    assert anonymous.post(PATIENTS_URL, new_patient(), format="json").status_code == 401


# --- GET /api/v1/patients/ -------------------------------------------------------------------


def test_a_nurse_lists_only_her_clinics_patients(
    nurse: Person, patient: EnrolledPatient, other_patient: EnrolledPatient
) -> None:
    second = make_patient(nurse, name="Sam Second")

    response = nurse.client().get(PATIENTS_URL)

    assert response.status_code == 200
    assert {row["id"] for row in rows(response)} == {str(patient.patient.pk), str(second.patient.pk)}
    assert "Otto Other" not in response.content.decode()


def test_the_other_clinic_sees_only_its_own(
    other_clinic_nurse: Person, patient: EnrolledPatient, other_patient: EnrolledPatient
) -> None:
    response = other_clinic_nurse.client().get(PATIENTS_URL)

    assert [row["id"] for row in rows(response)] == [str(other_patient.patient.pk)]


def test_a_clinic_admin_lists_her_clinics_patients(clinic_admin: Person, patient: EnrolledPatient) -> None:
    assert [row["id"] for row in rows(clinic_admin.client().get(PATIENTS_URL))] == [str(patient.patient.pk)]


def test_a_listed_patient_shows_enrollment_and_regimen(nurse: Person, patient: EnrolledPatient) -> None:
    (row,) = rows(nurse.client().get(PATIENTS_URL))

    assert row["display_name"] == "Pat Doe"
    assert row["timezone"] == "America/New_York"
    assert row["enrolled"] is True
    assert row["regimen"]["start_date"] == "2026-11-01"
    assert "enrollment_code" not in row


def test_a_patient_cannot_list_patients(patient: EnrolledPatient) -> None:
    assert patient.client().get(PATIENTS_URL).status_code == 403


def test_a_caregiver_cannot_list_patients(caregiver: Person) -> None:
    assert caregiver.client().get(PATIENTS_URL).status_code == 403


def test_listing_patients_is_audited_per_patient(nurse: Person, patient: EnrolledPatient) -> None:
    second = make_patient(nurse, name="Sam Second")

    nurse.client().get(PATIENTS_URL)

    reads = AuditEvent.objects.filter(action="read", resource="patient", actor=nurse.user)
    assert {e.patient_id for e in reads} == {patient.patient.pk, second.patient.pk}


def test_listing_reads_the_cycle_delays_of_a_whole_page_in_one_query(nurse: Person, patient: EnrolledPatient) -> None:
    """Each row's regimen is the patient's own (the care team's delays included), as the patient's
    own GET shows it; and the list's queries do not grow with its patients."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = nurse.client()
    delay = {"action": "delay_cycle", "delay_days": 7, "reason": "ANC 0.8 on day 28"}
    assert client.post(f"{PATIENTS_URL}{patient.patient.pk}/dose-decisions/", delay, format="json").status_code == 201

    def listed() -> tuple[int, list[dict[str, Any]]]:
        with CaptureQueriesContext(connection) as ctx:
            answer = client.get(PATIENTS_URL)
        return len(ctx.captured_queries), rows(answer)

    make_patient(nurse, name="Sam Second")
    few, _ = listed()
    for n in range(4):
        make_patient(nurse, name=f"Pat {n}")
    many, found = listed()

    assert few == many
    for row in found:
        assert row["regimen"] == client.get(f"{PATIENTS_URL}{row['id']}/").json()["regimen"]


# --- GET /api/v1/patients/{id}/ --------------------------------------------------------------


def test_a_nurse_reads_her_patients_detail(nurse: Person, patient: EnrolledPatient) -> None:
    response = nurse.client().get(f"{PATIENTS_URL}{patient.patient.pk}/")

    assert response.status_code == 200
    assert response.json()["id"] == str(patient.patient.pk)
    assert AuditEvent.objects.filter(action="read", patient_id=patient.patient.pk, actor=nurse.user).count() == 1


def test_another_clinics_patient_is_404_without_its_content(nurse: Person, other_patient: EnrolledPatient) -> None:
    response = nurse.client().get(f"{PATIENTS_URL}{other_patient.patient.pk}/")

    assert response.status_code == 404
    assert "Otto" not in response.content.decode()
    # The attempt is on the record as refused, never as a read.
    rows = AuditEvent.objects.filter(patient_id=other_patient.patient.pk, actor=nurse.user)
    assert list(rows.values_list("action", flat=True)) == ["refused"]


def test_an_unknown_patient_is_404(nurse: Person) -> None:
    assert nurse.client().get(f"{PATIENTS_URL}00000000-0000-0000-0000-000000000000/").status_code == 404


def test_a_patient_cannot_read_a_patient_detail(patient: EnrolledPatient) -> None:
    assert patient.client().get(f"{PATIENTS_URL}{patient.patient.pk}/").status_code == 403


# --- POST /api/v1/auth/enroll/ ---------------------------------------------------------------


def test_a_phone_enrolls_with_the_code_and_gets_a_token(nurse: Person) -> None:
    created = create(nurse)

    response = enroll(created["enrollment_code"])

    assert response.status_code == 201
    body = response.json()
    assert {"token", "patient"} <= set(body)
    assert body["patient"]["id"] == created["id"]
    assert body["patient"]["display_name"] == "Maria Lopez"
    assert body["patient"]["enrolled"] is True
    phone = APIClient()
    phone.credentials(HTTP_AUTHORIZATION=f"Bearer {body['token']}")
    assert phone.post(SYNC_URL, {}, format="json").status_code == 200


def test_enrolling_makes_a_patient_account_tied_to_the_patient(nurse: Person) -> None:
    created = create(nurse)

    enroll(created["enrollment_code"])

    patient = Patient.objects.select_related("user").get(pk=created["id"])
    assert patient.user is not None
    assert patient.user.role == "patient"
    assert patient.user.clinic_id == nurse.user.clinic_id
    assert not patient.user.has_usable_password()


def test_a_code_is_read_case_and_dash_insensitively(nurse: Person) -> None:
    code = create(nurse)["enrollment_code"]

    assert enroll(f"  {code.replace('-', '').lower()} ").status_code == 201


def test_a_code_works_once(nurse: Person) -> None:
    code = create(nurse)["enrollment_code"]
    assert enroll(code).status_code == 201

    response = enroll(code, "a stranger's phone")

    assert response.status_code == 400
    assert error_fields(response) == {"code": [CODE_USED]}


def test_an_unknown_code_is_400_naming_code(db: None) -> None:
    response = enroll("ABCD-EFGH")

    assert response.status_code == 400
    assert error_fields(response) == {"code": [CODE_INVALID]}


def test_an_expired_code_is_400_naming_code(nurse: Person) -> None:
    patient = Patient.objects.get(pk=create(nurse)["id"])
    code = enrollment_code_issue(patient=patient, issued_by=nurse.user, now=timezone.now() - timedelta(hours=73))

    response = enroll(code)

    assert response.status_code == 400
    assert error_fields(response) == {"code": [CODE_EXPIRED]}
    assert Patient.objects.get(pk=patient.pk).user is None


@pytest.mark.parametrize("body", [{}, {"code": ""}, {"code": 12345678}, {"code": None}])
def test_a_missing_code_is_400_naming_code(db: None, body: dict[str, Any]) -> None:
    response = APIClient().post(ENROLL_URL, body, format="json")

    assert response.status_code == 400
    assert error_fields(response) == {"code": ["This field is required."]}


def test_a_device_name_that_is_not_text_is_400(nurse: Person) -> None:
    code = create(nurse)["enrollment_code"]

    response = APIClient().post(ENROLL_URL, {"code": code, "device_name": 7}, format="json")

    assert response.status_code == 400
    assert error_fields(response) == {"device_name": ["Must be text."]}
    assert enroll(code).status_code == 201  # the refused attempt did not use the code up


def test_enrolling_needs_no_token(nurse: Person) -> None:
    code = create(nurse)["enrollment_code"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer revoked-or-garbage")

    assert client.post(ENROLL_URL, {"code": code}, format="json").status_code == 201


def test_enrolling_is_audited(nurse: Person) -> None:
    created = create(nurse)

    enroll(created["enrollment_code"])

    event = AuditEvent.objects.get(action="enroll")
    assert (str(event.patient_id), event.actor_role) == (created["id"], "patient")


@pytest.mark.parametrize(
    "body",
    [
        pytest.param('{"code": "\\ud800"}', id="code"),
        pytest.param('{"code": "CODE", "device_name": "\\ud800"}', id="device-name"),
    ],
)
def test_a_lone_surrogate_in_an_enrollment_is_not_a_500(nurse: Person, body: str) -> None:
    code = create(nurse)["enrollment_code"]

    response = post_raw(APIClient(raise_request_exception=False), ENROLL_URL, body.replace("CODE", code))

    assert response.status_code in (201, 400)


def test_a_nul_character_in_the_device_name_is_not_a_500(nurse: Person) -> None:
    code = create(nurse)["enrollment_code"]

    response = APIClient(raise_request_exception=False).post(
        ENROLL_URL, {"code": code, "device_name": "pho\x00ne"}, format="json"
    )

    assert response.status_code in (201, 400)


# --- POST /api/v1/patients/{id}/enrollment-code/ ---------------------------------------------


def test_a_new_code_invalidates_the_older_unused_ones(nurse: Person) -> None:
    created = create(nurse)

    response = nurse.client().post(f"{PATIENTS_URL}{created['id']}/enrollment-code/")

    assert response.status_code == 201
    new_code = response.json()["enrollment_code"]
    assert new_code != created["enrollment_code"]
    assert enroll(created["enrollment_code"]).status_code == 400
    assert enroll(new_code).status_code == 201


def test_a_new_code_moves_an_enrolled_patient_to_a_new_phone(nurse: Person, patient: EnrolledPatient) -> None:
    code = nurse.client().post(f"{PATIENTS_URL}{patient.patient.pk}/enrollment-code/").json()["enrollment_code"]

    response = enroll(code, "new phone")

    assert response.status_code == 201
    assert response.json()["patient"]["id"] == str(patient.patient.pk)
    assert Patient.objects.get(pk=patient.patient.pk).user_id == patient.user.pk


def test_enrolling_a_new_phone_signs_the_older_phones_out(nurse: Person, patient: EnrolledPatient) -> None:
    lost_phone = patient.client()
    assert lost_phone.post(SYNC_URL, {}, format="json").status_code == 200
    code = nurse.client().post(f"{PATIENTS_URL}{patient.patient.pk}/enrollment-code/").json()["enrollment_code"]

    new_phone = APIClient()
    new_phone.credentials(HTTP_AUTHORIZATION=f"Bearer {enroll(code, 'new phone').json()['token']}")

    assert lost_phone.post(SYNC_URL, {}, format="json").status_code == 401
    assert new_phone.post(SYNC_URL, {}, format="json").status_code == 200


def test_another_clinics_patient_gets_no_code(nurse: Person, other_patient: EnrolledPatient) -> None:
    response = nurse.client().post(f"{PATIENTS_URL}{other_patient.patient.pk}/enrollment-code/")

    assert response.status_code == 404
    assert "enrollment_code" not in response.json()


def test_a_patient_cannot_issue_codes(patient: EnrolledPatient) -> None:
    assert patient.client().post(f"{PATIENTS_URL}{patient.patient.pk}/enrollment-code/").status_code == 403


def test_codes_of_another_clinic_are_issued_by_its_own_nurses(
    other_clinic_nurse: Person, other_patient: EnrolledPatient
) -> None:
    response = other_clinic_nurse.client().post(f"{PATIENTS_URL}{other_patient.patient.pk}/enrollment-code/")

    assert response.status_code == 201
