"""Specification: the API holds to its own OpenAPI document, whoever asks and whatever they send.

Schemathesis reads the document drf-spectacular makes (the one served at /api/schema/) and sends
each operation generated requests, valid and invalid, over HTTP to a live server, as each of a
patient, a nurse, a clinic admin, a caregiver and nobody. Every answer must be: not a 500; of a
status the document lists for the operation; of the documented content type and shape; and a
refusal whenever the request breaks the document (an invalid request accepted is a failure).

Bounded for the suite: each operation gets its deterministic boundary cases and 4 generated
requests, the callers taking turns. The long run sends every request as every caller, with
CARELOOP_FUZZ_EXAMPLES generated requests per operation, e.g.
`CARELOOP_FUZZ_EXAMPLES=200 pytest tests/backend/api/test_fuzz.py`.

The world (tests/backend/world.py) is built once for the module and the requests really change it,
as a client would: ids of real objects stand in for generated ones, so that requests reach past
the not-found answers. Failure throttles are lifted (the 429 they answer is documented, and
tests/backend/core specifies them); grading is recorded instead of sent to the broker.
"""

from __future__ import annotations

import itertools
import json
import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import schemathesis
from django.core.management import call_command
from django.test import TransactionTestCase, override_settings
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, Phase, settings

from backend.accounts.services import token_issue
from tests.backend.world import World, build_world

LONG_RUN = "CARELOOP_FUZZ_EXAMPLES" in os.environ
EXAMPLES = int(os.environ.get("CARELOOP_FUZZ_EXAMPLES", "4"))
CALLERS = ["patient", "nurse", "admin", "caregiver with scope", "anonymous"]
# Calls that spend the token they are made with: each is made with a token of its own.
SPENDING = {"/api/v1/auth/logout/", "/api/v1/auth/sessions/{session_id}/"}


def document() -> dict[str, Any]:
    """The OpenAPI document, exactly as GET /api/schema/ serves it."""
    generated = SchemaGenerator().get_schema(request=None, public=True)
    return dict(json.loads(OpenApiJsonRenderer().render(generated)))


schema = schemathesis.openapi.from_dict(
    document(),
    config=schemathesis.Config.from_dict(
        {
            # Whether a valid request succeeds depends on who asks and on the world's state (a wrong
            # code, someone else's id): the document cannot say, so that check is not made here.
            "checks": {"positive_data_acceptance": {"enabled": False}},
            # OpenAPI does not forbid a query parameter it does not list, and the API ignores one (as
            # HTTP APIs do: a client's cache-buster); a request is invalid for what it breaks.
            "generation": {"allow-extra-parameters": False},
            "phases": {"stateful": {"enabled": False}},
        }
    ),
)


@pytest.fixture(scope="module")
def world(django_db_setup: None, django_db_blocker: Any) -> Iterator[World]:
    """One world for the whole module, committed so that the live server sees it; the tables are
    emptied once at the end, not after each test (which would take the world away)."""
    with pytest.MonkeyPatch.context() as patch, override_settings(CARELOOP_THROTTLE_RATES={}):
        patch.setattr(TransactionTestCase, "_fixture_teardown", lambda case: None)
        patch.setattr("backend.sync.services.grading_enqueue_on_commit", lambda **kwargs: None)
        # Unblocked for the whole module: the live server's thread may finish closing a request's
        # connection after the test that sent it has ended.
        with django_db_blocker.unblock():
            try:
                yield build_world()
            finally:
                call_command("flush", interactive=False, verbosity=0)


def _uuid(value: object) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def send(case: Any, world: World, caller: str, base_url: str) -> None:
    person = world.people[caller]
    headers = {}
    if person is not None:
        token = token_issue(user=person.user, device_name="fuzz") if case.operation.path in SPENDING else person.token
        headers["Authorization"] = f"Bearer {token}"
    for name, value in (case.path_parameters or {}).items():
        if name in world.ids and _uuid(value):  # a well-formed id: make it one that exists
            case.path_parameters[name] = world.ids[name]
    case.call_and_validate(base_url=base_url, headers=headers)


_turns: dict[str, Iterator[str]] = {}


def callers(operation: str) -> list[str]:
    """Who sends this request: every caller in the long run; in the suite's run, the callers take
    turns at each operation's requests, so that each asks a fifth of them (the boundary cases of
    each operation are spread over all five) and the suite stays quick."""
    if LONG_RUN:
        return CALLERS
    turn = _turns.setdefault(operation, itertools.cycle(CALLERS))
    return [next(turn)]


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    phases=[Phase.explicit, Phase.generate],  # no shrinking: the failing request is reported as sent
    derandomize=not LONG_RUN,  # the suite's run is the same every time; the long run explores
)
def test_every_operation_answers_every_caller_as_documented(case: Any, world: World, live_server: Any) -> None:
    for caller in callers(case.operation.label):
        send(case, world, caller, live_server.url)


def test_the_document_fuzzed_is_the_one_served(world: World, live_server: Any) -> None:
    served = requests.get(f"{live_server.url}/api/schema/", headers={"Accept": "application/json"}, timeout=30)

    assert served.json() == document()
