"""Bodies no request needs: nested too deeply, or too large. Each is the API's JSON 400 naming the
body (contract §2), never a 500 or an HTML page, on the sync and on the three calls anyone may make
without a token."""

from __future__ import annotations

import json

import pytest
from django.conf import settings
from rest_framework.response import Response
from rest_framework.test import APIClient

from backend.api.parsers import MAX_DEPTH
from tests.backend.support import SYNC_URL, error_fields, post_raw
from tests.factories import EnrolledPatient

TOKEN_URL = "/api/v1/auth/token/"
ENROLL_URL = "/api/v1/auth/enroll/"
ACCEPT_URL = "/api/v1/caregiver-invites/accept/"
ENDPOINTS = [SYNC_URL, TOKEN_URL, ENROLL_URL, ACCEPT_URL]


def client_for(url: str, patient: EnrolledPatient) -> APIClient:
    """The sync's own client (a patient's phone), anyone's for the others; a 500 comes back as a
    response instead of an exception, as a phone would see it."""
    client = patient.client() if url == SYNC_URL else APIClient()
    client.raise_request_exception = False
    return client


def nested(levels: int) -> str:
    """An object whose one field holds lists inside lists, `levels` containers in all."""
    return '{"code": ' + "[" * (levels - 1) + "]" * (levels - 1) + "}"


def assert_body_refused(response: Response) -> None:
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/json"
    assert list(error_fields(response)) == ["body"]


@pytest.mark.parametrize("url", ENDPOINTS)
def test_a_body_nested_935_levels_deep_is_a_json_400(url: str, patient: EnrolledPatient) -> None:
    body = "[" * 935 + "]" * 935  # 1870 bytes: enough to exhaust Python's recursion limit in the decoder

    response = post_raw(client_for(url, patient), url, body)

    assert_body_refused(response)
    assert "levels deep" in error_fields(response)["body"][0]


@pytest.mark.parametrize("url", ENDPOINTS)
def test_a_body_one_level_deeper_than_the_limit_is_refused_before_the_view(url: str, patient: EnrolledPatient) -> None:
    response = post_raw(client_for(url, patient), url, nested(MAX_DEPTH + 1))

    assert_body_refused(response)


def test_depth_counts_objects_and_lists_alike(patient: EnrolledPatient) -> None:
    body = '{"a": ' * MAX_DEPTH + "{}" + "}" * MAX_DEPTH

    assert_body_refused(post_raw(client_for(TOKEN_URL, patient), TOKEN_URL, body))


def test_brackets_inside_text_are_not_nesting(patient: EnrolledPatient) -> None:
    """Only structure counts: a password may be made of brackets."""
    body = json.dumps({"username": "nobody", "password": "[{" * 600})

    response = post_raw(client_for(TOKEN_URL, patient), TOKEN_URL, body)

    assert response.status_code == 400 and "body" not in error_fields(response)


def test_a_body_at_the_limit_reaches_the_view(patient: EnrolledPatient) -> None:
    response = post_raw(client_for(ENROLL_URL, patient), ENROLL_URL, nested(MAX_DEPTH))

    assert response.status_code == 400 and "body" not in error_fields(response)


@pytest.mark.parametrize("url", ENDPOINTS)
def test_a_body_over_the_upload_limit_is_a_json_400(url: str, patient: EnrolledPatient) -> None:
    padding = "a" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    body = json.dumps({"cursor": None, "code": padding})

    response = post_raw(client_for(url, patient), url, body)

    assert_body_refused(response)
    assert "larger than 2.5 MB" in error_fields(response)["body"][0]
