"""After a hold: the NINLARO table's next doses (shared.dose_modification), row by row."""

from __future__ import annotations

from decimal import Decimal

import pytest

from shared.dose_modification import Toxicity, suggest_after_hold
from shared.regimen import Drug

D = Decimal


@pytest.mark.parametrize("toxicity", [Toxicity.THROMBOCYTOPENIA, Toxicity.NEUTROPENIA, Toxicity.RASH])
def test_overlapping_toxicities_reduce_lenalidomide_first_then_ixazomib_then_alternate(toxicity: Toxicity) -> None:
    first = suggest_after_hold(toxicity=toxicity, grade=3, ixazomib_mg=D(4), lenalidomide_mg=D(25))
    assert (first.ixazomib_mg, first.lenalidomide_mg, first.reduced) == (D(4), D(20), Drug.LENALIDOMIDE)
    second = suggest_after_hold(
        toxicity=toxicity, grade=3, ixazomib_mg=D(4), lenalidomide_mg=D(20), last_reduced=Drug.LENALIDOMIDE
    )
    assert (second.ixazomib_mg, second.lenalidomide_mg, second.reduced) == (D(3), D(20), Drug.IXAZOMIB)
    third = suggest_after_hold(
        toxicity=toxicity, grade=3, ixazomib_mg=D(3), lenalidomide_mg=D(20), last_reduced=Drug.IXAZOMIB
    )
    assert (third.ixazomib_mg, third.lenalidomide_mg, third.reduced) == (D(3), D(15), Drug.LENALIDOMIDE)
    assert not (first.discontinue or second.discontinue or third.discontinue)


def test_off_the_bottom_of_a_ladder_the_suggestion_is_to_stop_that_drug() -> None:
    ixa = suggest_after_hold(
        toxicity=Toxicity.THROMBOCYTOPENIA,
        grade=4,
        ixazomib_mg=D("2.3"),
        lenalidomide_mg=D(10),
        last_reduced=Drug.LENALIDOMIDE,
    )
    assert (ixa.ixazomib_mg, ixa.lenalidomide_mg) == (None, D(10))
    assert "stop ixazomib" in ixa.text
    len_ = suggest_after_hold(
        toxicity=Toxicity.NEUTROPENIA, grade=4, ixazomib_mg=D(3), lenalidomide_mg=D("2.5"), last_reduced=None
    )
    assert (len_.ixazomib_mg, len_.lenalidomide_mg) == (D(3), None)


@pytest.mark.parametrize(("grade", "hold", "stop"), [(0, False, False), (1, False, False), (4, True, True)])
def test_rash_below_grade_2_changes_nothing_and_grade_4_stops_the_regimen(grade: int, hold: bool, stop: bool) -> None:
    s = suggest_after_hold(toxicity=Toxicity.RASH, grade=grade, ixazomib_mg=D(4), lenalidomide_mg=D(25))
    assert (s.hold, s.discontinue, s.reduced) == (hold, stop, None)


@pytest.mark.parametrize(
    ("grade", "painful", "ixazomib", "hold", "stop"),
    [
        (1, False, D(4), False, False),  # grade 1 without pain: nothing
        (1, True, D(4), True, False),  # grade 1 with pain: hold, same dose
        (2, False, D(4), True, False),  # grade 2: hold, same dose
        (2, True, D(3), True, False),  # grade 2 with pain: one level lower
        (3, False, D(3), True, False),  # grade 3: one level lower
        (3, True, D(3), True, False),
        (4, False, D(4), True, True),  # grade 4: stop
    ],
)
def test_neuropathy_rows_touch_ixazomib_only(
    grade: int, painful: bool, ixazomib: Decimal, hold: bool, stop: bool
) -> None:
    s = suggest_after_hold(
        toxicity=Toxicity.NEUROPATHY, grade=grade, painful=painful, ixazomib_mg=D(4), lenalidomide_mg=D(25)
    )
    assert (s.ixazomib_mg, s.lenalidomide_mg, s.hold, s.discontinue) == (ixazomib, D(25), hold, stop)


@pytest.mark.parametrize(("grade", "ixazomib"), [(2, D(4)), (3, D(3)), (4, D(3))])
def test_other_non_hematologic_grade_3_or_4_lowers_ixazomib(grade: int, ixazomib: Decimal) -> None:
    s = suggest_after_hold(toxicity=Toxicity.OTHER, grade=grade, ixazomib_mg=D(4), lenalidomide_mg=D(25))
    assert (s.ixazomib_mg, s.lenalidomide_mg) == (ixazomib, D(25))
    assert s.source.startswith("NINLARO USPI")


@pytest.mark.parametrize("grade", [-1, 5])
def test_a_grade_outside_0_to_4_is_refused(grade: int) -> None:
    with pytest.raises(ValueError):
        suggest_after_hold(toxicity=Toxicity.OTHER, grade=grade, ixazomib_mg=D(4), lenalidomide_mg=D(25))
