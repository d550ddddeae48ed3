"""Contract §2: a patient invites a caregiver with scopes; the caregiver accepts the code once."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from rest_framework.test import APIClient

from backend.accounts.models import DeviceToken, Role, User
from backend.caregivers.models import CaregiverInvite, CaregiverLink
from backend.caregivers.services import (
    CODE_EXPIRED,
    CODE_INVALID,
    CODE_USED,
    USERNAME_TAKEN,
    USERNAME_TAKEN_CODE_SPENT,
)
from tests.backend.caregivers.support import ACCEPT_URL, INVITES_URL, make_caregiver
from tests.backend.support import error_fields, rows
from tests.factories import PASSWORD, EnrolledPatient, Person

SCOPES = ["critical_alerts", "all_alerts", "missed_doses", "daily_summary"]


def _invite(patient: EnrolledPatient, scopes: list[str] | None = None) -> str:
    response = patient.client().post(INVITES_URL, {"scopes": scopes or ["critical_alerts"]}, format="json")
    assert response.status_code == 201, response.content
    return str(response.json()["code"])


def _accept(code: str, username: str = "maya.helper", password: str = PASSWORD, **extra: object) -> object:
    return APIClient().post(ACCEPT_URL, {"code": code, "username": username, "password": password, **extra}, "json")


# --- Creating invites ---------------------------------------------------------------------------


def test_a_patient_creates_an_invite_and_gets_a_code_once(patient: EnrolledPatient) -> None:
    response = patient.client().post(INVITES_URL, {"scopes": ["daily_summary", "critical_alerts"]}, format="json")

    assert response.status_code == 201
    body = response.json()
    assert set(body) >= {"id", "code", "scopes", "expires_at", "created_at"}
    assert body["scopes"] == ["critical_alerts", "daily_summary"]  # canonical order
    assert len(body["code"].replace("-", "")) == 8
    stored = CaregiverInvite.objects.get(pk=body["id"])
    assert body["code"].replace("-", "") not in stored.code_hash  # only a digest is kept


@pytest.mark.parametrize("scopes", [SCOPES, ["all_alerts"], ["missed_doses"], ["daily_summary", "daily_summary"]])
def test_any_non_empty_subset_of_the_four_scopes_is_accepted(patient: EnrolledPatient, scopes: list[str]) -> None:
    response = patient.client().post(INVITES_URL, {"scopes": scopes}, format="json")

    assert response.status_code == 201
    assert response.json()["scopes"] == [s for s in SCOPES if s in scopes]


@pytest.mark.parametrize(
    "body", [{}, {"scopes": []}, {"scopes": ["everything"]}, {"scopes": "all_alerts"}, {"scopes": [3]}]
)
def test_an_invite_without_valid_scopes_is_refused_naming_scopes(patient: EnrolledPatient, body: object) -> None:
    response = patient.client().post(INVITES_URL, body, format="json")

    assert response.status_code == 400
    assert "scopes" in error_fields(response)
    assert not CaregiverInvite.objects.exists()


def test_only_a_patient_can_invite(nurse: Person, caregiver: Person, anonymous: APIClient) -> None:
    assert anonymous.post(INVITES_URL, {"scopes": SCOPES}, format="json").status_code == 401
    assert nurse.client().post(INVITES_URL, {"scopes": SCOPES}, format="json").status_code == 403
    assert caregiver.client().post(INVITES_URL, {"scopes": SCOPES}, format="json").status_code == 403


def test_the_patient_lists_pending_invites_without_their_codes(
    patient: EnrolledPatient, other_patient: EnrolledPatient
) -> None:
    _invite(patient, ["all_alerts"])
    used = _invite(patient, ["daily_summary"])
    _invite(other_patient)
    assert _accept(used).status_code == 201  # type: ignore[attr-defined]

    listed = rows(patient.client().get(INVITES_URL))

    assert [r["scopes"] for r in listed] == [["all_alerts"]]
    assert "code" not in listed[0]


def test_a_withdrawn_invite_stops_working(patient: EnrolledPatient, other_patient: EnrolledPatient) -> None:
    code = _invite(patient)
    invite = CaregiverInvite.objects.get()

    assert other_patient.client().delete(f"{INVITES_URL}{invite.pk}/").status_code == 404
    assert patient.client().delete(f"{INVITES_URL}{invite.pk}/").status_code == 204

    response = _accept(code)
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert error_fields(response)["code"] == [CODE_USED]  # type: ignore[arg-type]


# --- Accepting ----------------------------------------------------------------------------------


def test_accepting_makes_a_caregiver_account_and_answers_a_token(patient: EnrolledPatient) -> None:
    code = _invite(patient, ["all_alerts", "daily_summary"])

    response = APIClient().post(
        ACCEPT_URL,
        {"code": code, "username": "maya.helper", "password": PASSWORD, "display_name": "Maya (daughter)"},
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["role"] == "caregiver"
    assert body["patient"] == {"id": str(patient.patient.pk), "display_name": patient.patient.display_name}
    assert body["scopes"] == ["all_alerts", "daily_summary"]
    user = User.objects.get(username="maya.helper")
    assert (user.role, user.clinic_id, user.first_name) == (
        Role.CAREGIVER,
        patient.patient.clinic_id,
        "Maya (daughter)",
    )
    link = CaregiverLink.objects.get(caregiver=user)
    assert (link.patient_id, link.scopes, link.revoked_at) == (
        patient.patient.pk,
        ["all_alerts", "daily_summary"],
        None,
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {body['token']}")
    assert client.get("/api/v1/alerts/").status_code == 200


def test_the_code_may_be_typed_in_lower_case_with_spaces(patient: EnrolledPatient) -> None:
    code = _invite(patient)

    assert _accept(f"  {code.lower().replace('-', ' ')} ").status_code == 201  # type: ignore[attr-defined]


def test_a_caregiver_signs_in_later_with_username_and_password(patient: EnrolledPatient) -> None:
    assert _accept(_invite(patient)).status_code == 201  # type: ignore[attr-defined]

    response = APIClient().post("/api/v1/auth/token/", {"username": "maya.helper", "password": PASSWORD}, format="json")

    assert response.status_code == 200
    assert response.json()["role"] == "caregiver"


def test_a_code_works_once(patient: EnrolledPatient) -> None:
    code = _invite(patient)
    assert _accept(code).status_code == 201  # type: ignore[attr-defined]

    again = _accept(code, username="someone.else")

    assert again.status_code == 400  # type: ignore[attr-defined]
    assert error_fields(again)["code"] == [CODE_USED]  # type: ignore[arg-type]
    assert not User.objects.filter(username="someone.else").exists()


def test_a_code_expires_after_72_hours(patient: EnrolledPatient) -> None:
    code = _invite(patient)
    issued = CaregiverInvite.objects.get().created_at

    with time_machine.travel(issued + timedelta(hours=72), tick=False):
        response = _accept(code)

    assert response.status_code == 400  # type: ignore[attr-defined]
    assert error_fields(response)["code"] == [CODE_EXPIRED]  # type: ignore[arg-type]
    with time_machine.travel(issued + timedelta(hours=71, minutes=59), tick=False):
        assert _accept(code).status_code == 201  # type: ignore[attr-defined]


def test_an_unknown_code_is_refused(db: None) -> None:
    response = _accept("ABCD-EFGH")

    assert response.status_code == 400  # type: ignore[attr-defined]
    assert error_fields(response)["code"] == [CODE_INVALID]  # type: ignore[arg-type]


def test_an_empty_request_names_every_missing_field(db: None) -> None:
    response = APIClient().post(ACCEPT_URL, {}, format="json")

    assert response.status_code == 400
    assert set(error_fields(response)) == {"code", "username", "password"}


@pytest.mark.parametrize("body", [[], "code", {"code": 5, "username": ["x"], "password": None}])
def test_a_malformed_body_is_a_400_not_a_500(db: None, body: object) -> None:
    assert APIClient().post(ACCEPT_URL, body, format="json").status_code == 400


@pytest.mark.parametrize("password", ["short", "password123", "12345678", "maya.helper1", "38271946502"])
def test_a_weak_password_is_refused_naming_password_and_the_code_still_works(
    patient: EnrolledPatient, password: str
) -> None:
    code = _invite(patient)

    response = _accept(code, password=password)

    assert response.status_code == 400  # type: ignore[attr-defined]
    assert list(error_fields(response)) == ["password"]  # type: ignore[arg-type]
    assert _accept(code).status_code == 201  # type: ignore[attr-defined]


def test_a_taken_username_is_refused_naming_username_and_the_code_still_works(
    patient: EnrolledPatient, nurse: Person
) -> None:
    code = _invite(patient)

    response = _accept(code, username=nurse.user.username)

    assert response.status_code == 400  # type: ignore[attr-defined]
    assert error_fields(response) == {"username": [USERNAME_TAKEN]}  # type: ignore[arg-type]
    assert _accept(code).status_code == 201  # type: ignore[attr-defined]


def test_a_code_tried_with_too_many_taken_usernames_is_spent(patient: EnrolledPatient) -> None:
    """A code cannot be used to list which usernames exist: after five taken names it stops working."""
    for n in range(5):
        make_caregiver(patient, ["all_alerts"], f"taken.{n}")
    code = _invite(patient)

    answers = [error_fields(_accept(code, username=f"taken.{n}")) for n in range(5)]  # type: ignore[arg-type]

    assert answers[:4] == [{"username": [USERNAME_TAKEN]}] * 4
    assert answers[4] == {"username": [USERNAME_TAKEN_CODE_SPENT]}
    assert error_fields(_accept(code)) == {"code": [CODE_USED]}  # type: ignore[arg-type]


@pytest.mark.parametrize("username", ["patient-123", "has space", "x" * 151])
def test_reserved_or_malformed_usernames_are_refused(patient: EnrolledPatient, username: str) -> None:
    response = _accept(_invite(patient), username=username)

    assert response.status_code == 400  # type: ignore[attr-defined]
    assert "username" in error_fields(response)  # type: ignore[arg-type]


def test_a_signed_in_caregiver_adds_a_second_patient_with_their_own_token(
    patient: EnrolledPatient, other_patient: EnrolledPatient
) -> None:
    carer = make_caregiver(patient, ["all_alerts"], "ana.all")

    response = carer.client().post(ACCEPT_URL, {"code": _invite(other_patient, ["critical_alerts"])}, format="json")

    assert response.status_code == 201
    assert response.json()["role"] == "caregiver"
    assert response.json()["patient"]["id"] == str(other_patient.patient.pk)
    assert User.objects.filter(username="ana.all").count() == 1
    assert sorted(CaregiverLink.objects.filter(caregiver=carer.user).values_list("scopes", flat=True)) == [
        ["all_alerts"],
        ["critical_alerts"],
    ]


@pytest.mark.parametrize("password", [PASSWORD, "not-her-password-at-all"])
def test_an_existing_accounts_password_in_the_body_never_links_it(
    patient: EnrolledPatient, other_patient: EnrolledPatient, password: str
) -> None:
    """The accept call is no way to check someone's password: right or wrong, outside the lockout,
    it answers the same, links nothing and issues no token."""
    carer = make_caregiver(patient, ["all_alerts"], "ana.all")
    tokens = DeviceToken.objects.filter(user=carer.user).count()

    response = _accept(_invite(other_patient), username="ana.all", password=password)

    assert response.status_code == 400  # type: ignore[attr-defined]
    assert error_fields(response) == {"username": [USERNAME_TAKEN]}  # type: ignore[arg-type]
    assert not CaregiverLink.objects.filter(caregiver=carer.user, patient=other_patient.patient).exists()
    assert DeviceToken.objects.filter(user=carer.user).count() == tokens


def test_a_staff_username_gets_the_same_answer_as_a_caregivers(patient: EnrolledPatient, nurse: Person) -> None:
    make_caregiver(patient, ["all_alerts"], "ana.all")
    code = _invite(patient)

    as_nurse = _accept(code, username=nurse.user.username, password=PASSWORD)
    as_caregiver = _accept(code, username="ana.all", password=PASSWORD)

    assert as_nurse.status_code == as_caregiver.status_code == 400  # type: ignore[attr-defined]
    assert as_nurse.json() == as_caregiver.json()  # type: ignore[attr-defined]


@pytest.mark.parametrize("who", ["nurse", "patient"])
def test_only_a_caregiver_may_accept_while_signed_in(
    request: pytest.FixtureRequest, patient: EnrolledPatient, who: str
) -> None:
    code = _invite(patient)
    person: Person = request.getfixturevalue(who)

    response = person.client().post(ACCEPT_URL, {"code": code}, format="json")

    assert response.status_code == 403
    assert _accept(code).status_code == 201  # type: ignore[attr-defined]


def test_a_second_invite_from_the_same_patient_replaces_the_scopes(patient: EnrolledPatient) -> None:
    carer = make_caregiver(patient, ["critical_alerts"], "ana.all")

    response = carer.client().post(ACCEPT_URL, {"code": _invite(patient, ["all_alerts"])}, format="json")

    assert response.status_code == 201

    assert list(CaregiverLink.objects.filter(caregiver=carer.user).values_list("scopes", flat=True)) == [["all_alerts"]]


def test_two_people_racing_with_one_code_cannot_both_win(
    patient: EnrolledPatient, monkeypatch: pytest.MonkeyPatch
) -> None:
    code = _invite(patient)
    read = CaregiverInvite.objects.select_related

    class ClaimedRightAfterTheRead:
        """The other request claims the code between this one's read and its conditional update."""

        def __init__(self, *args: str) -> None:
            self.rows = read(*args)

        def filter(self, **kwargs: object) -> ClaimedRightAfterTheRead:
            self.rows = self.rows.filter(**kwargs)
            return self

        def first(self) -> CaregiverInvite | None:
            found = self.rows.first()
            CaregiverInvite.objects.update(used_at=timezone.now())
            return found

    monkeypatch.setattr(CaregiverInvite.objects, "select_related", ClaimedRightAfterTheRead)

    response = _accept(code, username="late.comer")

    assert response.status_code == 400  # type: ignore[attr-defined]
    assert error_fields(response) == {"code": [CODE_USED]}  # type: ignore[arg-type]
    assert not User.objects.filter(username="late.comer").exists()
