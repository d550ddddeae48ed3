"""Revocation across processes: a token remembered by one process (as a gunicorn worker remembers
it) is refused by that process on its very next check once another process revoked it, through the
real PostgreSQL and the real Redis. Needs both (PostgreSQL: a second process cannot see SQLite's
in-memory test database; CI runs these on PostgreSQL)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection

from backend.accounts.models import DeviceToken, hash_token
from backend.accounts.services import token_revoke, user_deactivate
from tests.factories import Person, make_nurse
from tests.integration.stack import database_url

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="two processes on one database: PostgreSQL"),
]

REPO = Path(__file__).resolve().parents[3]

# The other process: Django on the same database and Redis (and this test's cache key prefix),
# checking Bearer tokens as a web worker does; answers each token on stdin with its verdict and
# how many database queries the check took.
WORKER = """
import json, os, sys
import django
django.setup()
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory
from backend.accounts.authentication import BearerTokenAuthentication

caches = json.loads(os.environ["TEST_CACHES"])
with override_settings(CACHES=caches, ALLOWED_HOSTS=["*"]):
    print("ready", flush=True)
    for line in sys.stdin:
        request = Request(APIRequestFactory().get("/", HTTP_AUTHORIZATION="Bearer " + line.strip()))
        with CaptureQueriesContext(connection) as queries:
            try:
                BearerTokenAuthentication().authenticate(request)
                verdict = "ok"
            except exceptions.AuthenticationFailed:
                verdict = "refused"
        print(verdict, len(queries.captured_queries), flush=True)
"""


class OtherProcess:
    def __init__(self) -> None:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "backend.config.settings",
            "DATABASE_URL": database_url(connection.settings_dict),
            "REDIS_URL": settings.REDIS_URL,
            "TEST_CACHES": json.dumps(settings.CACHES),
            "PYTHONPATH": str(REPO),
        }
        self.proc = subprocess.Popen(
            [sys.executable, "-c", WORKER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env, cwd=REPO
        )
        assert self.proc.stdout is not None
        assert self.proc.stdout.readline().strip() == "ready"

    def check(self, token: str) -> tuple[str, int]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(token + "\n")
        self.proc.stdin.flush()
        verdict, queries = self.proc.stdout.readline().split()
        return verdict, int(queries)

    def stop(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=20)


@pytest.fixture
def other() -> Iterator[OtherProcess]:
    process = OtherProcess()
    yield process
    process.stop()


@pytest.fixture
def staff(db: Any) -> Person:
    return make_nurse("nurse.two.processes", clinic="Two Processes Clinic")


def test_the_other_process_remembers_a_token_after_one_check(other: OtherProcess, staff: Person) -> None:
    assert other.check(staff.token)[0] == "ok"
    assert other.check(staff.token) == ("ok", 0)


def test_a_token_revoked_here_is_refused_there_on_the_next_check(other: OtherProcess, staff: Person) -> None:
    assert other.check(staff.token)[0] == "ok"
    assert other.check(staff.token) == ("ok", 0)  # remembered

    token_revoke(token=DeviceToken.objects.get(key_hash=hash_token(staff.token)))

    assert other.check(staff.token)[0] == "refused"


def test_a_user_deactivated_here_is_refused_there_on_the_next_check(other: OtherProcess, staff: Person) -> None:
    assert other.check(staff.token)[0] == "ok"
    assert other.check(staff.token) == ("ok", 0)

    user_deactivate(user=staff.user)

    assert other.check(staff.token)[0] == "refused"
