"""A URL under /api/ that matches nothing, or whose id is not of the right shape, is answered as
every API error is (contract §2): JSON, 404, `errors`; the dashboard keeps its HTML page."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import Person


@pytest.mark.parametrize("path", ["/api/v1/patients/not-a-uuid/", "/api/v1/no-such-thing/", "/api/v2/"])
def test_an_unknown_api_url_is_a_json_404(nurse: Person, path: str) -> None:
    response = nurse.client().get(path)

    assert (response.status_code, response["Content-Type"]) == (404, "application/json")
    assert response.json()["errors"] == {"detail": ["Not found."]}


def test_an_unknown_dashboard_url_is_still_a_page(db: None) -> None:
    response = Client().get("/no-such-page/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
