"""The API client over real HTTP against the contract-shaped fake: bodies and headers as contract
§2 says, and each kind of failure sorted into what the app does with it."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from mobile.api import ApiClient, ApiError, NotAvailable, RawItems, Unreachable, body_encode, rows
from tests.mobile.conftest import NOW
from tests.mobile.fake_server import CODE, CODE_INVALID, TOKEN, FakeServer, FakeState


@pytest.fixture
def server() -> Iterator[FakeServer]:
    with FakeServer(FakeState(start_date=date(2026, 11, 1), now=lambda: NOW)) as running:
        yield running


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_enroll_sends_the_code_and_device_name_without_a_token(server: FakeServer) -> None:
    answer = ApiClient(server.url, token="stale").enroll(code=CODE, device_name="Pat's phone")
    assert answer["token"] == TOKEN and answer["patient"]["regimen"]["start_date"] == "2026-11-01"
    assert server.state.requests[-1] == ("POST", "/api/v1/auth/enroll/", None)


def test_a_refused_code_comes_back_with_the_servers_own_words(server: FakeServer) -> None:
    with pytest.raises(ApiError) as refused:
        ApiClient(server.url).enroll(code="NOPE", device_name="phone")
    assert refused.value.status == 400
    assert refused.value.errors == {"code": [CODE_INVALID]}
    assert refused.value.message == CODE_INVALID


def test_every_other_call_carries_the_bearer_token(server: FakeServer) -> None:
    client = ApiClient(server.url, token=TOKEN)
    client.sync({"cursor": None})
    client.notifications()
    assert [r[2] for r in server.state.requests] == [f"Bearer {TOKEN}"] * 2


def test_an_unknown_token_is_a_401_api_error(server: FakeServer) -> None:
    with pytest.raises(ApiError) as refused:
        ApiClient(server.url, token="revoked").sync({"cursor": None})
    assert refused.value.status == 401


def test_a_closed_port_is_unreachable_without_a_status() -> None:
    with pytest.raises(Unreachable) as failed:
        ApiClient(f"http://127.0.0.1:{_closed_port()}", timeout=2).sync({})
    assert failed.value.status is None


def test_a_failing_server_is_unreachable_with_its_status(server: FakeServer) -> None:
    server.state.fail_sync_with = 503
    with pytest.raises(Unreachable) as failed:
        ApiClient(server.url, token=TOKEN).sync({"cursor": None})
    assert failed.value.status == 503


def test_an_endpoint_the_server_does_not_have_yet_is_not_available(server: FakeServer) -> None:
    server.state.notifications = None  # an HTML 404 from outside the API's routes
    with pytest.raises(NotAvailable):
        ApiClient(server.url, token=TOKEN).notifications()


def test_list_answers_are_read_paginated_or_plain() -> None:
    assert rows({"results": [{"id": 1}], "next": None}) == [{"id": 1}]
    assert rows([{"id": 2}, "junk"]) == [{"id": 2}]
    assert rows(None) == [] and rows({"detail": "x"}) == []


def test_it_refuses_a_url_that_is_not_http() -> None:
    with pytest.raises(ValueError, match="http"):
        ApiClient("file:///etc/passwd")


ITEMS: list[dict[str, Any]] = [
    {"id": "a", "analyte": "platelets", "value": 42.5, "unit": "10^9/L", "collected_at": "2026-11-20T08:30:00-05:00"},
    {"id": "b", "symptom": "fever", "answers": {"temperature_c": 38.4, "chills": True}, "reported_at": "x"},
    {"id": "c", "drug": "ixazomib", "status": "taken", "note": 'caf\u00e9 "\\ \u0007 \U0001f600', "n": 10**20},
]


def test_items_sent_as_the_stores_text_make_the_same_bytes_as_json_dumps() -> None:
    """The sync body splices each item's stored JSON text (json.dumps with sorted keys): the server
    gets byte for byte what encoding the decoded items would send."""
    stored = [json.dumps(item, sort_keys=True) for item in ITEMS]
    decoded = [json.loads(text) for text in stored]
    body = {"cursor": "c1.x", "lab_results": RawItems(stored[:1]), "dose_logs": RawItems(stored[1:])}
    plain = {"cursor": "c1.x", "lab_results": decoded[:1], "dose_logs": decoded[1:]}
    assert body_encode(body) == json.dumps(plain).encode()
    assert body_encode({"cursor": None}) == json.dumps({"cursor": None}).encode()
    assert json.loads(body_encode(body)) == plain


def test_raw_items_read_as_the_items_they_hold() -> None:
    held = RawItems(json.dumps(item, sort_keys=True) for item in ITEMS)
    assert len(held) == 3 and held[0] == ITEMS[0] and held[1:] == ITEMS[1:] and list(held) == ITEMS
    assert held == ITEMS and held == RawItems(held.texts) and held != ITEMS[:2]


def test_a_sync_sends_raw_items_as_json_the_server_reads(server: FakeServer) -> None:
    client = ApiClient(server.url, TOKEN)
    item = {
        "id": "3f1c6e9a-3c1e-4f57-9f7e-2b1f6f0c1a01",
        "drug": "ixazomib",
        "status": "taken",
        "taken_at": NOW.isoformat(),
    }
    answer = client.sync({"cursor": None, "dose_logs": RawItems([json.dumps(item, sort_keys=True)])})
    assert answer["accepted"] == [item["id"]]
    assert server.state.sync_bodies[-1]["dose_logs"] == [item]
