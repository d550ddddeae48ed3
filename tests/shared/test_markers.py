"""Specification of shared.markers: a response marker as a lab prints it becomes an exact canonical
value, or is refused with the field to blame and a reason (contract §5)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from shared.markers import MARKERS, MarkerValueError, parse_marker_item, parse_marker_value
from shared.sync_schema import ItemError

NOW = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)


def refused(*args: object, **kwargs: object) -> MarkerValueError:
    with pytest.raises(MarkerValueError) as caught:
        parse_marker_value(*args, **kwargs)  # type: ignore[arg-type]
    return caught.value


@pytest.mark.parametrize(
    ("marker", "value", "unit", "canonical"),
    [
        ("serum_m_protein", 2.1, "g/dL", "2.1"),
        ("serum_m_protein", 21, "g/L", "2.1"),
        ("serum_m_protein", "0", "g/dL", None),
        ("urine_m_protein", 350, "mg/24h", "350"),
        ("urine_m_protein", 0.35, "g/24h", "350"),
        ("urine_m_protein", 0.2, "G/24 H", "200"),
        ("kappa_flc", 620, "mg/L", "620"),
        ("kappa_flc", 62, "mg/dL", "620"),
        ("lambda_flc", 1.2, "mg/dL", "12"),
        ("marrow_plasma_cells", 30, "%", "30"),
    ],
)
def test_every_unit_converts_exactly_to_the_canonical_one(
    marker: str, value: object, unit: str, canonical: str
) -> None:
    if canonical is None:  # a string is not a number
        assert refused(marker, value, unit).field == "value"
        return
    parsed = parse_marker_value(marker, value, unit)
    assert parsed.canonical == Decimal(canonical)
    assert parsed.value == Decimal(str(value))


def test_the_catalog_names_the_loinc_codes_of_the_reference() -> None:
    assert MARKERS["serum_m_protein"].loinc == "33358-3"
    assert MARKERS["kappa_flc"].loinc == "36916-5"
    assert MARKERS["lambda_flc"].loinc == "33944-0"


def test_an_unknown_marker_or_unit_is_refused_with_the_field() -> None:
    assert refused("beta2", 1, "mg/L").field == "marker"
    assert refused("serum_m_protein", 1, "mg/L").field == "unit"
    assert "g/dL, g/L" in refused("serum_m_protein", 1, None).message


def test_negative_and_impossible_values_are_refused() -> None:
    assert refused("serum_m_protein", -0.1, "g/dL").field == "value"
    assert refused("marrow_plasma_cells", 100.5, "%").field == "value"
    assert refused("serum_m_protein", True, "g/dL").field == "value"


def test_a_serum_m_spike_in_g_per_l_typed_as_g_per_dl_is_refused_with_the_unit_meant() -> None:
    error = refused("serum_m_protein", 30, "g/dL")
    assert error.field == "value"
    assert "Did you mean 30 g/L?" in error.message
    assert parse_marker_value("serum_m_protein", 15, "g/dL").canonical == Decimal(15)  # the ceiling itself


# The FLC tenfold trap: the same assay is printed in mg/L and in mg/dL.
@pytest.mark.parametrize(("value", "accepted"), [(0.49, False), (0.5, True), (0.51, True), (0, True)])
def test_a_free_light_chain_below_what_labs_print_in_mg_per_l_is_a_mg_per_dl_figure(
    value: float, accepted: bool
) -> None:
    if accepted:
        assert parse_marker_value("kappa_flc", value, "mg/L").canonical == Decimal(str(value))
    else:
        error = refused("kappa_flc", value, "mg/L")
        assert "Did you mean 0.49 mg/dL?" in error.message


def test_a_free_light_chain_in_mg_per_dl_above_any_serum_is_a_mg_per_l_figure() -> None:
    assert parse_marker_value("kappa_flc", 10000, "mg/dL").canonical == Decimal(100000)
    error = refused("kappa_flc", 10001, "mg/dL")
    assert "Did you mean 10001 mg/L?" in error.message


def test_a_printed_reference_range_in_the_other_unit_is_caught() -> None:
    # A Michigan report prints 0.33-1.94 mg/dL: typed as mg/L, both the value and range are off tenfold.
    error = refused("kappa_flc", 8.5, "mg/L", reference_low=0.33, reference_high=1.94)
    assert error.field == "reference_low"
    ok = parse_marker_value("kappa_flc", 0.85, "mg/dL", reference_low=0.33, reference_high=1.94)
    assert ok.canonical == Decimal("8.5")


@pytest.mark.parametrize(
    ("marker", "value"),
    [
        ("serum_ife", "negative"),
        ("urine_ife", "Positive"),
        ("marrow_clonal_cells", "absent"),
        ("new_lesion", "yes"),
    ],
)
def test_qualitative_markers_take_their_words_and_no_unit(marker: str, value: str) -> None:
    assert parse_marker_value(marker, value).text == value.lower()
    assert refused(marker, "maybe").field == "value"
    assert refused(marker, value, "%").field == "unit"


def test_mrd_needs_its_method_and_sensitivity() -> None:
    mrd = parse_marker_value("mrd", "negative", method="ngs", sensitivity=1e-6)
    assert (mrd.text, mrd.method, mrd.sensitivity) == ("negative", "NGS", "1e-6")
    assert parse_marker_value("mrd", "positive", method="NGF", sensitivity="1e-5").sensitivity == "1e-5"
    assert parse_marker_value("mrd", "positive", method="NGF", sensitivity="10^-5").sensitivity == "1e-5"
    assert parse_marker_value("mrd", "positive", method="NGF", sensitivity=0.000001).sensitivity == "1e-6"
    assert refused("mrd", "negative", sensitivity="1e-5").field == "method"
    assert refused("mrd", "negative", method="NGF", sensitivity="1e-4").field == "sensitivity"
    assert refused("serum_ife", "negative", method="NGF").field == "method"


def _item(**changes: object) -> dict[str, object]:
    item: dict[str, object] = {
        "id": "7d3c9a43-3f7e-4d5f-9f57-2f4b2a0f4e11",
        "marker": "serum_m_protein",
        "value": 2.1,
        "unit": "g/dL",
        "collected_at": "2026-11-20T08:30:00-05:00",
    }
    item.update(changes)
    return {k: v for k, v in item.items() if v is not None}


def test_an_item_names_every_wrong_field_at_once() -> None:
    with pytest.raises(ItemError) as caught:
        parse_marker_item(_item(unit="mg", collected_at="2027-01-01T00:00:00Z", colour="red"), now=NOW)
    assert set(caught.value.errors) == {"unit", "collected_at", "colour"}
    assert caught.value.errors["collected_at"] == ["Is in the future."]


def test_the_same_meaning_has_the_same_fingerprint() -> None:
    one = parse_marker_item(_item(), now=NOW)
    same = parse_marker_item(_item(value=2.10, collected_at="2026-11-20T13:30:00Z"), now=NOW)
    other = parse_marker_item(_item(value=21, unit="g/L"), now=NOW)
    assert one.fingerprint() == same.fingerprint()
    assert one.fingerprint() != other.fingerprint()  # what was sent is kept, so it is another entry
