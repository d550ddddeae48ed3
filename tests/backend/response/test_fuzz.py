"""No 500 for any client input (contract §2): random marker items through the care team's endpoint
and the phone's sync, then the response read over whatever was stored."""

from __future__ import annotations

import json
import uuid
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.markers import MARKERS
from tests.backend.response.support import markers_url, response_url
from tests.backend.support import SYNC_URL, post_raw
from tests.factories import EnrolledPatient, Person

FUZZ = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12)
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=10,
)
days = st.integers(min_value=1, max_value=28).map(lambda d: f"2026-0{1 + d % 9}-{d:02d}T08:30:00-05:00")
marker_like = st.fixed_dictionaries(
    {
        "id": st.builds(lambda: str(uuid.uuid4())) | st.text(max_size=10),
        "marker": st.sampled_from(list(MARKERS)) | st.text(max_size=8),
        "value": st.floats(min_value=0, max_value=2000, allow_nan=False)
        | st.sampled_from(["positive", "negative", "present", "absent", "yes", "no"])
        | json_values,
        "collected_at": days | st.text(max_size=20),
    },
    optional={
        "unit": st.sampled_from(["g/dL", "g/L", "mg/24h", "g/24h", "mg/L", "mg/dL", "%"]) | json_values,
        "method": st.sampled_from(["NGF", "NGS"]) | json_values,
        "sensitivity": st.sampled_from(["1e-5", "1e-6", 1e-5]) | json_values,
        "reference_low": json_values,
    },
)


def _body(value: Any) -> str:
    return json.dumps(value, allow_nan=True)


@FUZZ
@given(items=st.lists(marker_like, max_size=6))
def test_random_items_from_the_care_team_never_answer_500(
    nurse: Person, patient: EnrolledPatient, items: list[dict[str, Any]]
) -> None:
    answer = post_raw(nurse.client(), markers_url(patient.patient.pk), _body(items))
    assert answer.status_code in (200, 201, 400), answer.content
    assert nurse.client().get(response_url(patient.patient.pk)).status_code == 200


@FUZZ
@given(items=st.lists(marker_like, max_size=6) | json_values)
def test_random_marker_results_in_a_sync_never_answer_500(patient: EnrolledPatient, items: Any) -> None:
    answer = post_raw(patient.client(), SYNC_URL, _body({"marker_results": items}))
    assert answer.status_code in (200, 400), answer.content
    assert patient.client().get(response_url(patient.patient.pk)).status_code == 200
