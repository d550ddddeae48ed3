"""Lists a page at a time (backend/api/pagination.py): what a client may ask of a list, and the 400
that names what it may not (never a 404, which reads as a missing list, nor silently ignored)."""

from __future__ import annotations

import pytest

from backend.api.pagination import INVALID_CURSOR
from backend.notifications.services import notify
from tests.backend.support import error_fields
from tests.factories import Person

NOTIFICATIONS = "/api/v1/notifications/"


def _inbox(person: Person, count: int) -> None:
    for n in range(count):
        notify(recipient=person.user, kind="info", title=f"note {n}", body="", dedupe_key=f"page-{n}")


def test_a_list_is_followed_page_by_page_with_its_cursor(nurse: Person) -> None:
    _inbox(nurse, 3)

    first = nurse.client().get(NOTIFICATIONS, {"page_size": 2}).json()
    rest = nurse.client().get(first["next"]).json()

    assert [len(first["results"]), len(rest["results"]), rest["next"]] == [2, 1, None]


# Not base64; "p=2026" (a position that is no time: it reached the database as a 500); "o=a".
@pytest.mark.parametrize("cursor", ["not-a-cursor", "cD0yMDI2", "bz1h"])
def test_a_cursor_the_list_never_gave_is_a_400_naming_it(nurse: Person, cursor: str) -> None:
    response = nurse.client().get(NOTIFICATIONS, {"cursor": cursor})

    assert response.status_code == 400
    assert error_fields(response) == {"cursor": [INVALID_CURSOR]}


@pytest.mark.parametrize("size", ["0", "-1", "two", "1.5", "null", ""])
def test_a_page_size_that_is_not_a_whole_number_from_1_is_a_400(nurse: Person, size: str) -> None:
    response = nurse.client().get(NOTIFICATIONS, {"page_size": size})

    assert response.status_code == 400
    assert list(error_fields(response)) == ["page_size"]


def test_a_page_size_above_the_most_gives_the_most(nurse: Person) -> None:
    _inbox(nurse, 3)

    response = nurse.client().get(NOTIFICATIONS, {"page_size": "100000"})

    assert (response.status_code, len(response.json()["results"])) == (200, 3)
