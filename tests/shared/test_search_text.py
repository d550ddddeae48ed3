"""Specification of the name search's key (shared.search_text): accents and case never matter."""

from __future__ import annotations

from datetime import date

import pytest

from shared.search_text import search_date, search_key


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("José", "jose"),
        ("jose", "jose"),
        ("MÜLLER", "muller"),
        ("Müller", "muller"),
        ("Straße", "strasse"),
        ("  Zoë   Saldaña ", "zoe saldana"),
        ("Ǆemal", "dzemal"),  # a compatibility letter comes apart
        ("Ｊｏｓｅ", "jose"),  # full-width
        ("Łukasz", "łukasz"),  # no decomposition exists: kept, so "Łukasz" still finds it
    ],
)
def test_the_key_folds_case_and_drops_accents(typed: str, key: str) -> None:
    assert search_key(typed) == key


@pytest.mark.parametrize(
    ("typed", "day"),
    [
        ("1956-03-14", date(1956, 3, 14)),
        (" 03/14/1956 ", date(1956, 3, 14)),
        ("3/14/1956", date(1956, 3, 14)),
        ("14/03/1956", None),  # not a month
        ("1956-02-30", None),
        ("José", None),
        ("", None),
    ],
)
def test_a_date_of_birth_is_read_in_iso_or_us_order(typed: str, day: date | None) -> None:
    assert search_date(typed) == day
