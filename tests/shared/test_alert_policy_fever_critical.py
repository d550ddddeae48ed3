"""A clinic's stricter fever policy (contract §4: "A clinic may make its policy stricter"; issue 13
§3): a fever in the nadir window with no recent ANC may be made `critical`. Its kind stays `fever`,
and a clinic on the defaults keeps it urgent."""

from __future__ import annotations

from decimal import Decimal

import pytest

from shared.alert_policy import (
    DEFAULT_POLICY,
    PolicyError,
    Severity,
    evaluate_symptom,
    policy_from_wire,
    policy_to_wire,
    with_overrides,
)
from shared.symptoms import SymptomGrade

CRITICAL_CLINIC = with_overrides(DEFAULT_POLICY, {"fever": {"nadir_no_anc_critical": True}})


def fever(temperature: str) -> SymptomGrade:
    return SymptomGrade(grade=None, flags=frozenset(), temperature_c=Decimal(temperature))


def test_the_default_keeps_it_urgent() -> None:
    assert DEFAULT_POLICY.fever.nadir_no_anc_critical is False
    found = evaluate_symptom(DEFAULT_POLICY, "fever", fever("38.0"), latest_anc=None, nadir_day=14)

    assert found is not None and (found.kind, found.severity) == ("fever", Severity.URGENT)
    assert "Critical by the clinic's policy" not in found.message


@pytest.mark.parametrize(("temperature", "raised"), [("37.9", False), ("38.0", True), ("38.1", True)])
@pytest.mark.parametrize("nadir_day", [14, 21])
def test_the_clinic_setting_makes_it_critical_from_the_fever_threshold(
    temperature: str, raised: bool, nadir_day: int
) -> None:
    found = evaluate_symptom(CRITICAL_CLINIC, "fever", fever(temperature), latest_anc=None, nadir_day=nadir_day)

    if not raised:
        assert found is None
        return
    assert found is not None and (found.kind, found.severity, found.hold_drugs) == ("fever", Severity.CRITICAL, ())
    assert "Critical by the clinic's policy: treated as febrile neutropenia until an ANC is done." in found.message
    assert found.source.endswith("clinic policy: critical")


@pytest.mark.parametrize(
    ("latest_anc", "nadir_day", "kind", "severity"),
    [
        (None, None, "fever", Severity.URGENT),  # outside days 14-21: a fever
        (Decimal("1.0"), 15, "fever", Severity.URGENT),  # a recent ANC rules neutropenia out
        (Decimal("0.99"), 15, "febrile_neutropenia", Severity.CRITICAL),  # contract §4, whatever the setting
    ],
)
def test_the_setting_changes_only_the_nadir_fever_with_no_recent_anc(
    latest_anc: Decimal | None, nadir_day: int | None, kind: str, severity: Severity
) -> None:
    found = evaluate_symptom(CRITICAL_CLINIC, "fever", fever("38.4"), latest_anc=latest_anc, nadir_day=nadir_day)

    assert found is not None and (found.kind, found.severity) == (kind, severity)


@pytest.mark.parametrize("value", ["yes", 1, None])
def test_only_true_or_false_is_accepted(value: object) -> None:
    with pytest.raises(PolicyError):
        with_overrides(DEFAULT_POLICY, {"fever": {"nadir_no_anc_critical": value}})


def test_it_cannot_be_turned_off_on_top_of_a_policy_that_has_it() -> None:
    with pytest.raises(PolicyError, match="stricter only"):
        with_overrides(CRITICAL_CLINIC, {"fever": {"nadir_no_anc_critical": False}})
    assert with_overrides(DEFAULT_POLICY, {"fever": {"nadir_no_anc_critical": False}}) == DEFAULT_POLICY


def test_it_travels_to_the_phone_with_the_threshold_and_reads_back_the_same() -> None:
    both = with_overrides(DEFAULT_POLICY, {"fever": {"threshold_c": 37.8, "nadir_no_anc_critical": True}})

    wire = policy_to_wire(both)

    assert wire == {"fever": {"threshold_c": 37.8, "nadir_no_anc_critical": True}}
    assert policy_from_wire(wire) == both
    assert policy_to_wire(DEFAULT_POLICY) == {}


def test_the_phone_keeps_the_readable_half_of_a_fever_section() -> None:
    read = policy_from_wire({"fever": {"threshold_c": "hot", "nadir_no_anc_critical": True}})

    assert read.fever.nadir_no_anc_critical is True and read.fever.threshold_c == DEFAULT_POLICY.fever.threshold_c
    assert policy_from_wire({"fever": {"nadir_no_anc_critical": "yes"}}) == DEFAULT_POLICY
