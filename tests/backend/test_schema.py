"""Specification of the API's surface: every call of contract §2 is routed and described in the
OpenAPI 3 document at /api/schema/."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

_MISSING = "BUG: contract §2 lists {call}, but no such route exists (404)"


def missing(call: str) -> pytest.MarkDecorator:
    return pytest.mark.xfail(strict=True, raises=AssertionError, reason=_MISSING.format(call=call))


# (method, path as the contract writes it, answer to an empty request without a token)
CONTRACT_CALLS: list[Any] = [
    ("post", "/api/v1/auth/token/", 400),
    ("post", "/api/v1/auth/enroll/", 400),
    ("post", "/api/v1/auth/logout/", 401),
    ("post", "/api/v1/patients/", 401),
    ("get", "/api/v1/patients/", 401),
    ("post", "/api/v1/sync/", 401),
    ("get", "/api/v1/alerts/", 401),
    ("post", "/api/v1/alerts/{id}/acknowledge/", 401),
    ("post", "/api/v1/alerts/{id}/resolve/", 401),
    pytest.param("post", "/api/v1/caregiver-invites/", 401, id="invites"),
    pytest.param("post", "/api/v1/caregiver-invites/accept/", 400, id="invites-accept"),
    pytest.param("get", "/api/v1/notifications/", 401, id="notifications"),
    pytest.param("post", "/api/v1/patients/{id}/markers/", 401, id="markers"),
    pytest.param("get", "/api/v1/patients/{id}/response/", 401, id="response"),
]


def as_template(path: str) -> str:
    """`/alerts/{alert_id}/` and `/alerts/{id}/` are the same path."""
    return re.sub(r"\{[^}]+\}", "{}", path)


@pytest.fixture(scope="module")
def schema(django_db_blocker: Any) -> dict[str, Any]:
    with django_db_blocker.unblock():
        response = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return json.loads(response.content)


def test_the_schema_is_an_openapi_3_document(schema: dict[str, Any]) -> None:
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "CareLoop API"
    assert schema["paths"]


def test_the_schema_needs_no_token(db: None) -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer garbage")

    assert client.get("/api/schema/").status_code == 200


@pytest.mark.parametrize(("method", "path", "_status"), CONTRACT_CALLS)
def test_the_schema_lists_every_call_of_the_contract(
    schema: dict[str, Any], method: str, path: str, _status: int
) -> None:
    paths = {as_template(p): ops for p, ops in schema["paths"].items()}

    assert as_template(path) in paths, f"{path} is not in the schema"
    assert method in paths[as_template(path)]


def test_the_schema_describes_bearer_tokens(schema: dict[str, Any]) -> None:
    schemes = schema["components"]["securitySchemes"]

    assert any(s.get("type") == "http" and s.get("scheme") == "bearer" for s in schemes.values())


@pytest.mark.parametrize(("method", "path", "status"), CONTRACT_CALLS)
def test_every_call_of_the_contract_is_routed(db: None, method: str, path: str, status: int) -> None:
    url = path.replace("{id}", "00000000-0000-0000-0000-000000000000")

    response = getattr(APIClient(), method)(url, {}, format="json")

    assert response.status_code == status, f"{method.upper()} {path} → {response.status_code}"


def test_the_schema_generates_without_warnings_or_errors(db: None, tmp_path: Path) -> None:
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.json"))


def test_the_interactive_docs_are_served(db: None) -> None:
    response = APIClient().get("/api/docs/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    # The page's script comes from ?script (the Content-Security-Policy allows no inline script).
    script = APIClient().get("/api/docs/?script")
    assert b"/api/schema/" in script.content


def _operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method, path, op) for path, ops in schema["paths"].items() for method, op in ops.items()]


def test_every_error_answer_is_documented_in_the_apis_errors_shape(schema: dict[str, Any]) -> None:
    errors = {"$ref": "#/components/schemas/Errors"}
    for method, path, op in _operations(schema):
        answers = op["responses"]
        if op.get("security") != [{}] and {"bearerAuth": []} in op.get("security", []):
            assert "401" in answers, f"{method} {path}"
        if "{" in path:
            assert "404" in answers, f"{method} {path}"
        for code, answer in answers.items():
            if code.startswith("4"):
                assert answer["content"]["application/json"]["schema"] == errors, f"{method} {path} {code}"
    assert schema["components"]["schemas"]["Errors"]["required"] == ["errors"]


def test_throttled_calls_document_429_with_retry_after(schema: dict[str, Any]) -> None:
    for path in ("/api/v1/auth/token/", "/api/v1/auth/enroll/", "/api/v1/caregiver-invites/accept/"):
        answer = schema["paths"][path]["post"]["responses"]["429"]
        assert "Retry-After" in answer["headers"], path


def test_the_rules_a_client_must_follow_are_in_the_schema(schema: dict[str, Any]) -> None:
    components = schema["components"]["schemas"]
    regimen = components["RegimenInputRequest"]["properties"]
    create = components["PatientCreateInputRequest"]["properties"]
    enroll = components["EnrollRequestRequest"]["properties"]
    preferences = components["PreferenceRequest"]["properties"]

    assert regimen["ixazomib_mg"]["anyOf"][0]["enum"] == [4.0, 3.0, 2.3]
    assert regimen["lenalidomide_mg"]["anyOf"][0]["enum"] == [25.0, 20.0, 15.0, 10.0, 5.0, 2.5]
    assert create["timezone"]["allOf"] == [{"$ref": "#/components/schemas/TimeZone"}]
    assert re.fullmatch(components["TimeZone"]["pattern"], "America/Argentina/Buenos_Aires")
    assert re.fullmatch(enroll["code"]["pattern"], "K7QX-M3PA")
    assert not re.fullmatch(enroll["code"]["pattern"], "K7QX-M3P0")  # 0 is not in the alphabet
    assert re.fullmatch(preferences["quiet_start"]["pattern"], "22:00")
    assert "format" not in preferences["quiet_start"]  # not RFC 3339 `time`: no seconds or offset are sent
