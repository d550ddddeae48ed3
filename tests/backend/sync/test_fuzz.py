"""No 500 for any client input (contract §2): random JSON as the sync body and as its items.

Hypothesis' text strategy leaves out lone surrogates (they are not UTF-8); those are specified
separately in test_sync.py.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.backend.support import SYNC_URL, post_raw
from tests.factories import EnrolledPatient

FUZZ = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=20,
)

# Items that look nearly right, so the checks past "is it an object" run too.
times = st.sampled_from(
    ["2026-11-20T08:30:00-05:00", "2026-11-20T08:30:00", "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"]
) | st.text(max_size=30)
ids = st.builds(lambda: str(uuid.uuid4())) | st.text(max_size=40)
numbers = st.integers() | st.floats() | st.decimals(allow_nan=False, allow_infinity=False).map(float)
lab_like = st.fixed_dictionaries(
    {
        "id": ids,
        "analyte": st.sampled_from(["platelets", "anc", "wbc", "hemoglobin", "creatinine", "alt", "ast", "bilirubin"])
        | st.text(max_size=10),
        "value": numbers | json_values,
        "unit": st.sampled_from(["10^9/L", "K/µL", "/uL", "g/dL", "g/L", "mmol/L", "mg/dL", "umol/L", "U/L"])
        | st.text(max_size=10),
        "collected_at": times,
    },
    optional={"reference_low": numbers | json_values, "reference_high": numbers | json_values},
)
symptom_like = st.fixed_dictionaries(
    {
        "id": ids,
        "symptom": st.sampled_from(["diarrhea", "peripheral_neuropathy", "rash", "fever", "nausea"])
        | st.text(max_size=10),
        "answers": st.dictionaries(
            st.sampled_from(
                ["stools_above_usual", "severity", "pain", "limits_self_care", "body_area", "symptoms", "temperature_c"]
            )
            | st.text(max_size=8),
            numbers | st.sampled_from(["none", "mild", "moderate", "severe", "over_30"]) | json_values,
            max_size=4,
        )
        | json_values,
        "reported_at": times,
    }
)
dose_like = st.fixed_dictionaries(
    {
        "id": ids,
        "drug": st.sampled_from(["ixazomib", "lenalidomide", "dexamethasone", "antiviral"]) | json_values,
        "status": st.sampled_from(["taken", "skipped", "vomited"]) | json_values,
        "taken_at": times,
    }
)


def post(patient: EnrolledPatient, body: Any) -> Any:
    # json.dumps, not the test client's renderer: NaN and Infinity must reach the server as sent.
    return post_raw(patient.client(), SYNC_URL, json.dumps(body))


def assert_answered(response: Any, items_sent: int | None = None) -> None:
    assert response.status_code in (200, 400), response.content[:500]
    body = response.json()
    if response.status_code == 400:
        assert isinstance(body["errors"], dict) and body["errors"]
        return
    assert isinstance(body["cursor"], str)
    for rejection in body["rejected"]:
        assert set(rejection) >= {"id", "errors"}
        assert all(isinstance(v, list) and v for v in rejection["errors"].values()), rejection
    if items_sent is not None:
        assert len(body["accepted"]) + len(body["rejected"]) == items_sent


@pytest.mark.django_db
@FUZZ
@given(body=json_values)
def test_any_json_body_is_answered_200_or_400(patient: EnrolledPatient, body: Any) -> None:
    assert_answered(post(patient, body))


@pytest.mark.django_db
@FUZZ
@given(body=st.dictionaries(st.sampled_from(["cursor", "lab_results", "symptom_reports", "dose_logs"]), json_values))
def test_any_value_under_the_known_keys_is_answered_200_or_400(patient: EnrolledPatient, body: Any) -> None:
    assert_answered(post(patient, body))


@pytest.mark.django_db
@FUZZ
@given(item=json_values)
def test_any_json_item_in_every_section_is_answered_200_or_400(patient: EnrolledPatient, item: Any) -> None:
    response = post(patient, {"lab_results": [item], "symptom_reports": [item], "dose_logs": [item]})

    try:
        json.dumps(item, allow_nan=False)
    except ValueError:  # NaN or Infinity: not JSON, the body as a whole is refused
        assert response.status_code == 400
    else:
        assert_answered(response, items_sent=3)
        assert response.status_code == 200


@pytest.mark.django_db
@FUZZ
@given(
    labs=st.lists(lab_like, max_size=3),
    symptoms=st.lists(symptom_like, max_size=3),
    doses=st.lists(dose_like, max_size=3),
)
def test_nearly_valid_items_are_each_accepted_or_rejected(
    patient: EnrolledPatient, labs: list[Any], symptoms: list[Any], doses: list[Any]
) -> None:
    response = post(patient, {"lab_results": labs, "symptom_reports": symptoms, "dose_logs": doses})

    assert_answered(response, items_sent=len(labs) + len(symptoms) + len(doses))
