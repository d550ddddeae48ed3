"""Recording entries: the server's own checks and grading run on the phone, so the patient hears
the same verdict offline; a valid entry is committed to the outbox before sync is asked for."""

from __future__ import annotations

from datetime import timedelta

import pytest

from mobile.journal import ItemError, Journal, json_number
from mobile.store import PENDING, Store
from shared.lab_values import LabValueError, parse_lab_value
from tests.mobile.conftest import NOW


def test_a_grade_4_platelet_count_is_saved_with_the_advice_to_call_and_hold_both(
    journal: Journal, store: Store, new_entries: list[int]
) -> None:
    recorded = journal.record_lab("platelets", 18, "10^9/L", NOW)
    assert recorded.grade.grade == 4
    assert recorded.alert is not None and recorded.alert.severity == "critical"
    assert recorded.alert.hold_drugs == ("ixazomib", "lenalidomide")
    entry = store.entry(recorded.entry_id)
    assert entry is not None and entry.state == PENDING
    assert entry.item == {
        "id": recorded.entry_id,
        "analyte": "platelets",
        "value": 18,
        "unit": "10^9/L",
        "collected_at": NOW.isoformat(),
    }
    assert entry.local_alert is not None and entry.local_alert["severity"] == "critical"
    assert new_entries == [1]  # sync asked for once, after the commit


def test_the_factor_of_1000_mix_up_is_refused_with_the_servers_reason_and_nothing_is_saved(
    journal: Journal, store: Store, new_entries: list[int]
) -> None:
    with pytest.raises(ItemError) as refused:
        journal.record_lab("platelets", 42, "/uL", NOW)
    with pytest.raises(LabValueError) as server_side:
        parse_lab_value("platelets", 42, "/uL")
    assert refused.value.errors == {"value": [server_side.value.message]}
    assert "Did you mean 42 K/µL?" in server_side.value.message
    assert store.pending_count() == 0 and new_entries == []


def test_units_are_stored_in_the_servers_spelling_and_remembered(journal: Journal, store: Store) -> None:
    recorded = journal.record_lab("Platelets", 150, "k/µl", NOW)
    entry = store.entry(recorded.entry_id)
    assert entry is not None and (entry.item["analyte"], entry.item["unit"]) == ("platelets", "K/uL")
    assert store.get("last_unit:platelets") == "K/uL"


def test_a_typed_decimal_travels_as_the_number_typed() -> None:
    from decimal import Decimal

    assert json_number(Decimal("42")) == 42 and isinstance(json_number(Decimal("42")), int)
    assert repr(json_number(Decimal("49.9"))) == "49.9"


def test_fever_with_a_low_anc_this_week_is_febrile_neutropenia(journal: Journal) -> None:
    journal.record_lab("anc", 0.8, "10^9/L", NOW - timedelta(days=3))
    recorded = journal.record_symptom("fever", {"temperature_c": 38.4}, NOW)
    assert recorded.alert is not None
    assert (recorded.alert.kind, recorded.alert.severity) == ("febrile_neutropenia", "critical")


def test_fever_without_a_recent_anc_is_an_urgent_fever_outside_the_nadir_window(journal: Journal) -> None:
    day_10 = NOW - timedelta(days=5)
    journal.record_lab("anc", 0.8, "10^9/L", day_10 - timedelta(days=9))
    recorded = journal.record_symptom("fever", {"temperature_c": 38.4}, day_10)
    assert recorded.alert is not None and (recorded.alert.kind, recorded.alert.severity) == ("fever", "urgent")


def test_fever_without_a_recent_anc_in_the_nadir_window_asks_to_call_now(journal: Journal) -> None:
    # Day 15, as the server judges it (tests/backend/alerts/test_fever_nadir.py): call now.
    journal.record_lab("anc", 0.8, "10^9/L", NOW - timedelta(days=9))
    recorded = journal.record_symptom("fever", {"temperature_c": 38.4}, NOW)
    assert recorded.alert is not None
    assert (recorded.alert.kind, recorded.alert.severity) == ("fever", "urgent")  # contract §4
    assert recorded.alert.patient_advice.startswith("Call your care team now")


def test_fever_in_the_nadir_window_with_a_recent_normal_anc_stays_a_fever(journal: Journal) -> None:
    journal.record_lab("anc", 1.0, "10^9/L", NOW - timedelta(days=2))
    recorded = journal.record_symptom("fever", {"temperature_c": 38.4}, NOW)
    assert recorded.alert is not None and (recorded.alert.kind, recorded.alert.severity) == ("fever", "urgent")


def test_a_dose_log_is_checked_like_the_server_does(journal: Journal, store: Store) -> None:
    journal.record_dose("ixazomib", "taken", NOW)
    with pytest.raises(ItemError) as refused:
        journal.record_dose("aspirin", "taken", NOW)
    assert "drug" in refused.value.errors
    with pytest.raises(ItemError):
        journal.record_dose("ixazomib", "taken", NOW + timedelta(hours=3))  # in the future
    assert store.pending_count() == 1


@pytest.mark.parametrize(("delay_days", "nadir_day"), [(None, 15), (1, 14), (2, None)])
def test_the_fevers_nadir_window_follows_the_care_teams_cycle_delay(
    journal: Journal, store: Store, delay_days: int | None, nadir_day: int | None
) -> None:
    """NOW is day 15 of cycle 1; delaying cycle 1's start makes it day 14, then day 13 (as the server
    reads the calendar: tests/backend/patients/test_cycle_delay.py)."""
    regimen = dict(store.get_json("patient")["regimen"])
    regimen["cycle_delays"] = [{"cycle": 1, "delay_days": delay_days}] if delay_days else []
    store.put_json("regimen", regimen)

    assert journal.nadir_day(NOW) == nadir_day
