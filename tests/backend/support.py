"""Helpers for the backend API specifications: talking to the API and grading what was synced."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import connection, connections
from rest_framework.response import Response
from rest_framework.test import APIClient

from backend.alerts.grading import GradingOutcome, ungraded_sweep
from tests.factories import Person

SYNC_URL = "/api/v1/sync/"
ALERTS_URL = "/api/v1/alerts/"
PATIENTS_URL = "/api/v1/patients/"
# Contract §4: the keys every alert carries, wherever it is read.
CONTRACT_ALERT_KEYS = {
    "id",
    "patient",
    "kind",
    "grade",
    "severity",
    "dose_hold",
    "hold_drugs",
    "status",
    "title",
    "message",
    "created_at",
    "source",
}

IS_POSTGRES = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")

# Numbers as a client's JSON may write them: beyond what a numeric(18, 6) column holds (10^12), just
# inside it, beyond any Decimal's precision, negative, finer than a millionth, and zero.
NUMBER_EXTREMES = [
    "1000000000000",
    "1e12",
    "999999999999.999999",
    "1" + "0" * 30,
    "1E+300",
    "-1000000000000",
    "-0.000001",
    "0.0000001",
    "1e-300",
    "0",
    "-0",
]


def placeholder(number: str) -> str:
    """A stand-in for the number literal in a body, which `as_json` writes as the literal itself
    (json.dumps cannot write most of these as they are)."""
    return f"@{number}@"


def as_json(body: Any) -> str:
    text = json.dumps(body)
    for number in NUMBER_EXTREMES:
        text = text.replace(f'"{placeholder(number)}"', number)
    return text


def sync(person: Person, **sections: Any) -> Response:
    """POST the sections to /api/v1/sync/ as `person`."""
    return person.client().post(SYNC_URL, sections, format="json")


def post_raw(client: APIClient, url: str, body: str) -> Response:
    """POST a JSON text exactly as given (NaN, lone surrogates and all)."""
    return client.post(url, data=body, content_type="application/json")


def post_json(client: APIClient, url: str, body: Any) -> Response:
    return post_raw(client, url, json.dumps(body))


def rows(response: Response) -> list[dict[str, Any]]:
    """A list answer, paginated (`{"results": [...]}`) or plain (contract §2)."""
    data = response.json()
    return data["results"] if isinstance(data, dict) else data


def batches_fail_with(reading_id: str, monkeypatch: Any, *, times: int | None = None) -> None:
    """Every grading batch that raises an alert for this reading fails as a whole (a fault beyond
    one row's grading, which would raise a review alert instead): a poisoned reading. `times`: only
    the first so many such batches fail (a passing fault)."""
    from backend.alerts import grading

    real_apply = grading.episodes_apply
    failures = [0]

    def apply(**kwargs: Any) -> Any:
        if any(str(raised.reading.source_id) == reading_id for raised in kwargs["raised"]):
            if times is None or failures[0] < times:
                failures[0] += 1
                raise RuntimeError("a fault that rolls back the whole batch")
        return real_apply(**kwargs)

    monkeypatch.setattr(grading, "episodes_apply", apply)


def grade_all() -> GradingOutcome:
    """What the grading task and the sweeper do after a sync commits."""
    return ungraded_sweep(older_than=timedelta(0))


def error_fields(response: Response) -> dict[str, Any]:
    body = response.json()
    assert set(body) >= {"errors"}, body
    return body["errors"]


def end_this_connection_from_outside() -> None:
    """What a database restart does to an idle connection: its server ends it (SQLSTATE 57P01)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s, 5000)", [pid])
    finally:
        other.close()
