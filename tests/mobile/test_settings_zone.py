"""Settings, time zone: when the phone is in another zone than the one the server reminds in, it says
so in plain words and offers to move; moving needs a connection and is never queued."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from mobile import strings as S
from mobile.api import ApiClient, ApiError, NotAvailable, Unreachable
from mobile.presenters.context import load_context
from mobile.presenters.settings import SettingsPresenter
from mobile.store import Store
from tests.mobile.conftest import NOW
from tests.mobile.fake_server import TOKEN, FakeServer, FakeState


@pytest.fixture
def server() -> Iterator[FakeServer]:
    with FakeServer(FakeState(start_date=date(2026, 11, 1), now=lambda: NOW)) as running:
        yield running


def in_zone(store: Store, device_zone: str | None) -> SettingsPresenter:
    return SettingsPresenter(store, device_zone=lambda: device_zone)


def test_a_phone_in_another_zone_is_told_plainly_and_offered_the_move(store: Store) -> None:
    mismatch = in_zone(store, "Europe/Berlin").view().zone_mismatch

    assert mismatch is not None
    assert mismatch.text == "Your reminders follow America/New_York time. You seem to be in Europe/Berlin now."
    assert mismatch.button == "Use Europe/Berlin"


@pytest.mark.parametrize("device_zone", ["America/New_York", None, "", "Etc/UTC", "UTC", "Mars/Olympus_Mons"])
def test_nothing_is_said_when_the_zones_agree_or_the_phone_cannot_tell(store: Store, device_zone: str | None) -> None:
    assert in_zone(store, device_zone).view().zone_mismatch is None


def test_the_servers_zone_comes_from_its_last_sync_answer(store: Store) -> None:
    store.put_json("regimen", {"start_date": "2026-11-01", "timezone": "Europe/Berlin"})

    assert in_zone(store, "Europe/Berlin").zone_mismatch() is None
    mismatch = in_zone(store, "America/New_York").zone_mismatch()
    assert mismatch is not None and mismatch.server_zone == "Europe/Berlin"


def test_a_zone_picked_on_this_phone_only_does_not_hide_the_question(store: Store) -> None:
    """The list under "Time zone" moves this phone's own reminders; the server still reminds in its zone."""
    presenter = in_zone(store, "America/Chicago")
    presenter.set_timezone("America/Chicago")

    mismatch = presenter.view().zone_mismatch
    assert mismatch is not None and mismatch.server_zone == "America/New_York"


def test_once_the_server_moved_the_phone_follows_and_the_question_goes(store: Store, server: FakeServer) -> None:
    presenter = in_zone(store, "Europe/Berlin")
    answer = ApiClient(server.url, token=TOKEN).me_update(timezone="Europe/Berlin")

    assert presenter.zone_moved(answer) == "Done. Your reminders now follow Europe/Berlin time."

    assert presenter.view().zone_mismatch is None
    assert presenter.view().timezone == "Europe/Berlin"
    ctx = load_context(store)
    assert ctx.tz_name == "Europe/Berlin" and ctx.regimen is not None  # the regimen is kept
    assert store.get_json("patient")["timezone"] == "Europe/Berlin"
    assert server.state.requests[-1] == ("PATCH", "/api/v1/me/", f"Bearer {TOKEN}")


def test_offline_it_says_a_connection_is_needed_and_changes_nothing(store: Store) -> None:
    presenter = in_zone(store, "Europe/Berlin")

    text = presenter.zone_error(Unreachable("no network"))

    assert text == S.SETTINGS_ZONE_OFFLINE and "internet" in text
    assert presenter.view().zone_mismatch is not None  # still asked: nothing was queued
    assert store.pending_count() == 0


@pytest.mark.parametrize(
    ("error", "text"),
    [
        (ApiError(400, {"timezone": ["Must be an IANA time zone name, e.g. America/New_York."]}), "Must be an IANA"),
        (NotAvailable("/me/"), S.SETTINGS_ZONE_UNAVAILABLE),
        (ApiError(403, {}), S.SETTINGS_ZONE_UNAVAILABLE),
    ],
)
def test_a_refusal_is_shown_in_the_servers_own_words(store: Store, error: Exception, text: str) -> None:
    assert in_zone(store, "Europe/Berlin").zone_error(error).startswith(text)


def test_the_client_reads_and_patches_the_own_profile(server: FakeServer) -> None:
    client = ApiClient(server.url, token=TOKEN)

    assert client.me()["timezone"] == "America/New_York"
    with pytest.raises(ApiError) as refused:
        client.me_update(timezone="Mars/Olympus_Mons")
    assert list(refused.value.errors) == ["timezone"]
    assert client.me_update(timezone="Asia/Tokyo")["regimen"]["timezone"] == "Asia/Tokyo"
