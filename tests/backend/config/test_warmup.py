"""A web worker loads at start what its first request would: the first patient after a start or a
deploy does not pay for the imports (backend/config/warmup.py). Run as gunicorn runs it: a fresh
Python process that imports the WSGI module, then serves one sync through it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid

import pytest
from django.db import connection

from tests.factories import EnrolledPatient
from tests.integration.stack import REPO, database_url

pytestmark = pytest.mark.django_db(transaction=True)  # the child process reads the committed patient

WORKER = """
import io, json, sys
import backend.config.wsgi as wsgi
loaded = set(sys.modules)
token, body = sys.argv[1], sys.argv[2].encode()
environ = {
    "REQUEST_METHOD": "POST", "PATH_INFO": "/api/v1/sync/", "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80",
    "HTTP_HOST": "127.0.0.1", "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(body), "wsgi.errors": sys.stderr,
    "CONTENT_TYPE": "application/json", "CONTENT_LENGTH": str(len(body)), "HTTP_AUTHORIZATION": "Bearer " + token,
}
status = []
answer = json.loads(b"".join(wsgi.application(environ, lambda s, h: status.append(s))))
imported = sorted(set(sys.modules) - loaded)
print(json.dumps({"status": status[0], "accepted": answer.get("accepted"), "imported": imported}))
"""


def _first_sync(patient: EnrolledPatient, body: dict[str, object]) -> dict[str, object]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url(connection.settings_dict),
        "DJANGO_SETTINGS_MODULE": "backend.config.settings",
        "DJANGO_DEBUG": "0",
        "CARELOOP_HTTPS": "0",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
    }
    done = subprocess.run(
        [sys.executable, "-c", WORKER, patient.token, json.dumps(body)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_a_web_workers_first_sync_imports_nothing_more(patient: EnrolledPatient) -> None:
    reading = {
        "id": str(uuid.uuid4()),
        "analyte": "platelets",
        "value": 150,
        "unit": "10^9/L",
        "collected_at": "2026-11-20T08:30:00+00:00",
    }
    first = _first_sync(patient, {"lab_results": [reading]})
    assert first["status"] == "200 OK"
    assert first["accepted"] == [reading["id"]]  # stored, and its grading task published or outboxed
    assert first["imported"] == []
