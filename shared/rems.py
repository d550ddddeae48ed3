"""Lenalidomide REMS: the pregnancy-test, contraception and blood-donation reminders, by date.

Lenalidomide is a thalidomide analogue and is dispensed in the US only under the Lenalidomide
REMS. CareLoop reminds; the prescriber, the pharmacy and the REMS program verify.

Sources:

* [V] Revlimid USPI §5.1 / §8.3 (120ty.net copies of the US PI): once treatment has started and
  during dose interruptions, pregnancy testing for females of reproductive potential weekly
  during the first 4 weeks, then every 4 weeks with regular menstrual cycles, every 2 weeks with
  irregular cycles; contraception from 4 weeks before, during therapy, during interruptions and
  for at least 4 weeks after therapy.
* [V] Do not donate blood during treatment, during breaks and for 4 weeks after stopping
  (Revlimid Medication Guide as reproduced on drugmartdirect.com and pocketpills.com). Sperm
  donation: the same window for males [U] (the REMS Patient Guide text was not retrieved).
* [P] Patient survey: the Lenalidomide REMS (FDA REMS page, accessdata.fda.gov REMS=410, and
  fda.report/applications/213912) requires mandatory patient surveys and at most a 28-day supply
  per prescription; the survey's frequency per risk category (monthly for females who can
  become pregnant; CareLoop uses every 28 days, one per prescription) was not seen verbatim [U].

The reminders' wording holds no patient data: it is shown in push and SMS like every reminder.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Final

__all__ = [
    "AFTER_LAST_DOSE",
    "RemsKind",
    "RemsProfile",
    "RemsReminder",
    "rems_reminders",
]

#: Contraception and no blood donation continue this long after the last dose (Revlimid USPI §8.3).
AFTER_LAST_DOSE: Final = timedelta(weeks=4)
_WEEKLY_FIRST: Final = 4  # weekly tests during the first 4 weeks
_SURVEY_EVERY: Final = timedelta(days=28)


class RemsKind(StrEnum):
    PREGNANCY_TEST = "pregnancy_test"
    CONTRACEPTION = "contraception"
    SURVEY = "rems_survey"
    NO_DONATION = "no_donation"


TEXTS: Final[dict[RemsKind, tuple[str, str]]] = {
    RemsKind.PREGNANCY_TEST: (
        "Pregnancy test due",
        "Your treatment program asks for a pregnancy test now. Your care team will tell you where.",
    ),
    RemsKind.CONTRACEPTION: (
        "Birth control check",
        "Keep using the birth control you agreed with your care team, every day, also during breaks.",
    ),
    RemsKind.SURVEY: (
        "Treatment program survey",
        "Your treatment program's survey is due before your next prescription.",
    ),
    RemsKind.NO_DONATION: (
        "A reminder about donating",
        "Do not donate blood or sperm during treatment, during breaks, and for 4 weeks after it ends.",
    ),
}


@dataclass(frozen=True)
class RemsProfile:
    """Who gets which REMS reminders: `can_become_pregnant` as recorded by the care team;
    `last_dose` the day lenalidomide stopped (None while it is given)."""

    can_become_pregnant: bool
    last_dose: date | None = None


@dataclass(frozen=True)
class RemsReminder:
    kind: RemsKind
    on: date
    title: str
    text: str


def rems_reminders(
    *,
    start_date: date,
    first: date,
    last: date,
    can_become_pregnant: bool,
    irregular_cycles: bool = False,
    last_dose: date | None = None,
) -> list[RemsReminder]:
    """REMS reminders dated in `first..last`, by date then kind.

    Pregnancy tests (patients who can become pregnant): weekly on days 1, 8, 15, 22 of treatment,
    then every 4 weeks (every 2 weeks with irregular cycles), until `last_dose` + 4 weeks; the
    contraception check comes with each test. Everyone on lenalidomide: the no-donation reminder
    and the program survey every 28 days from the start, until `last_dose` + 4 weeks.
    """
    end = last if last_dose is None else min(last, last_dose + AFTER_LAST_DOSE)
    found: list[RemsReminder] = []
    day = max(first, start_date)
    while day <= end:
        offset = (day - start_date).days
        if can_become_pregnant and _test_due(offset, irregular_cycles):
            found.append(_make(RemsKind.PREGNANCY_TEST, day))
            found.append(_make(RemsKind.CONTRACEPTION, day))
        if offset % _SURVEY_EVERY.days == 0:
            found.append(_make(RemsKind.SURVEY, day))
            found.append(_make(RemsKind.NO_DONATION, day))
        day += timedelta(days=1)
    return found


def _test_due(offset: int, irregular: bool) -> bool:
    if offset < 7 * _WEEKLY_FIRST:
        return offset % 7 == 0
    return offset % (14 if irregular else 28) == 0


def _make(kind: RemsKind, on: date) -> RemsReminder:
    title, text = TEXTS[kind]
    return RemsReminder(kind, on, title, text)
