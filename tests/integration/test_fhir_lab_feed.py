"""A clinic's lab system on the real stack (contract §6): a FHIR transaction Bundle of a grade 4
platelet count reaches a real Celery worker through the sync's own path and the nurse sees the
alert within seconds; the same Bundle again stores, grades and alerts nothing new."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
import uuid
from typing import Any

import pytest

from backend.alerts.models import Alert
from backend.records.models import LabResult
from tests.backend.fhir.bundles import bundle, lab_observation
from tests.fhir.validator import assert_valid_fhir
from tests.integration.stack import Stack, wait_until
from tests.integration.test_lab_to_alert_pipeline import _enroll, _open_alerts

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
FHIR = "application/fhir+json"


def _fhir_post(stack: Stack, body: dict[str, Any], token: str) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(stack.base_url + "/fhir/", data=json.dumps(body).encode(), method="POST")  # noqa: S310
    request.add_header("Content-Type", FHIR)
    request.add_header("Accept", FHIR)
    request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback
            assert response.headers["Content-Type"].startswith(FHIR)
            return int(response.status), json.loads(response.read())
    except urllib.error.HTTPError as error:
        return int(error.code), json.loads(error.read())


def test_a_lab_feed_platelet_count_raises_the_alert_and_a_replay_nothing_new(stack: Stack) -> None:
    nurse, _phone, patient_id = _enroll(stack)
    sent = bundle(lab_observation(patient_id, value=18, ucum="10*9/L", identifier=f"LAB-{uuid.uuid4().hex}"))

    started = time.monotonic()
    status, answer = _fhir_post(stack, sent, nurse)
    assert status == 200, answer
    assert_valid_fhir(answer)
    assert answer["entry"][0]["response"]["status"].startswith("201")
    alerts = wait_until(lambda: _open_alerts(stack, nurse), timeout=10, what="the lab feed's alert")
    print(f"FHIR transaction → alert visible to the nurse in {(time.monotonic() - started) * 1000:.0f} ms")
    (alert,) = alerts
    assert (alert["kind"], alert["grade"], alert["severity"]) == ("thrombocytopenia", 4, "critical")
    location = answer["entry"][0]["response"]["location"]
    assert alert["source"]["id"] == location.split("/")[1]

    status, again = _fhir_post(stack, sent, nurse)
    assert status == 200, again
    assert again["entry"][0]["response"]["status"].startswith("200")
    assert again["entry"][0]["response"]["location"] == location
    time.sleep(3)  # time for the worker and the sweeper (every second here) to do anything they would
    assert LabResult.objects.filter(patient_id=patient_id).count() == 1
    assert Alert.objects.filter(patient_id=patient_id).count() == 1
    assert len(_open_alerts(stack, nurse)) == 1
