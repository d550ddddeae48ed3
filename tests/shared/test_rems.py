"""Lenalidomide REMS reminders (shared.rems): pregnancy tests, contraception, survey, no donation."""

from __future__ import annotations

from datetime import date, timedelta

from shared.rems import TEXTS, RemsKind, rems_reminders

START = date(2026, 1, 5)


def _offsets(kind: RemsKind, **kwargs: object) -> list[int]:
    found = rems_reminders(start_date=START, first=START, last=START + timedelta(days=111), **kwargs)  # type: ignore[arg-type]
    return [(r.on - START).days for r in found if r.kind is kind]


def test_pregnancy_tests_weekly_for_4_weeks_then_every_4_weeks() -> None:
    assert _offsets(RemsKind.PREGNANCY_TEST, can_become_pregnant=True) == [0, 7, 14, 21, 28, 56, 84]
    assert _offsets(RemsKind.CONTRACEPTION, can_become_pregnant=True) == [0, 7, 14, 21, 28, 56, 84]


def test_pregnancy_tests_every_2_weeks_with_irregular_cycles() -> None:
    offsets = _offsets(RemsKind.PREGNANCY_TEST, can_become_pregnant=True, irregular_cycles=True)
    assert offsets == [0, 7, 14, 21, 28, 42, 56, 70, 84, 98]


def test_no_pregnancy_reminders_for_a_patient_who_cannot_become_pregnant() -> None:
    assert _offsets(RemsKind.PREGNANCY_TEST, can_become_pregnant=False) == []
    assert _offsets(RemsKind.NO_DONATION, can_become_pregnant=False) == [0, 28, 56, 84]
    assert _offsets(RemsKind.SURVEY, can_become_pregnant=False) == [0, 28, 56, 84]


def test_reminders_go_on_4_weeks_after_the_last_dose_and_then_stop() -> None:
    last_dose = START + timedelta(days=30)
    offsets = _offsets(RemsKind.PREGNANCY_TEST, can_become_pregnant=True, last_dose=last_dose)
    assert offsets == [0, 7, 14, 21, 28, 56]  # 56 <= 30 + 28; 84 is past the 4 weeks


def test_the_wording_holds_no_patient_data() -> None:
    for title, text in TEXTS.values():
        assert "{" not in title + text
        assert "lenalidomide" not in (title + text).lower()  # the drug's name alone reveals a cancer treatment
