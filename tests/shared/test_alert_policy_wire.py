"""Specification of the alert policy's wire form (`policy_to_wire` / `policy_from_wire`): what a
server sends a phone so its advice offline is the clinic's own. Stricter only, and the phone never
fails on what it reads: anything it cannot read leaves the default in place."""

from __future__ import annotations

import json
from dataclasses import replace
from decimal import Decimal
from types import MappingProxyType
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.alert_policy import (
    DEFAULT_POLICY,
    AlertPolicy,
    PolicyError,
    policy_from_wire,
    policy_to_wire,
    with_overrides,
)

LAB_KEYS = sorted(DEFAULT_POLICY.labs)
SYMPTOM_KEYS = sorted(DEFAULT_POLICY.symptoms)


def overrides_of(rules: dict[str, Any]) -> st.SearchStrategy[dict[str, dict[str, int]]]:
    """Per rule: absent, or a min_grade from 1 up to the default's own (stricter or equal)."""
    return st.dictionaries(
        st.sampled_from(sorted(rules)),
        st.integers(1, 4).map(lambda g: {"min_grade": g}),
    ).map(lambda d: {k: v for k, v in d.items() if v["min_grade"] <= rules[k].alert.min_grade})


thresholds = st.decimals(min_value=Decimal("37.0"), max_value=Decimal("38.0"), places=1) | st.decimals(
    min_value=Decimal("37.0"), max_value=Decimal("38.0"), places=2
)


@st.composite
def clinic_overrides(draw: st.DrawFn) -> dict[str, Any]:
    found: dict[str, Any] = {}
    labs = draw(overrides_of(dict(DEFAULT_POLICY.labs)))
    symptoms = draw(overrides_of(dict(DEFAULT_POLICY.symptoms)))
    if labs:
        found["labs"] = labs
    if symptoms:
        found["symptoms"] = symptoms
    if draw(st.booleans()):
        found["fever"] = {"threshold_c": float(draw(thresholds))}
    return found


def at_least_as_strict(policy: AlertPolicy) -> bool:
    return (
        all(policy.labs[k].alert.min_grade <= r.alert.min_grade for k, r in DEFAULT_POLICY.labs.items())
        and all(policy.symptoms[k].alert.min_grade <= r.alert.min_grade for k, r in DEFAULT_POLICY.symptoms.items())
        and policy.fever.threshold_c <= DEFAULT_POLICY.fever.threshold_c
        and {k: r.hold_drugs for k, r in policy.labs.items()}
        == {k: r.hold_drugs for k, r in DEFAULT_POLICY.labs.items()}
    )


# ---- round trip ----------------------------------------------------------------------------------


@given(clinic_overrides())
def test_a_clinic_policy_survives_the_trip_through_json(overrides: dict[str, Any]) -> None:
    policy = with_overrides(DEFAULT_POLICY, overrides)

    wire = policy_to_wire(policy)

    assert policy_from_wire(json.loads(json.dumps(wire))) == policy


@given(clinic_overrides())
def test_the_wire_form_is_stable(overrides: dict[str, Any]) -> None:
    policy = with_overrides(DEFAULT_POLICY, overrides)

    once = policy_to_wire(policy)

    assert policy_to_wire(policy_from_wire(once)) == once
    assert json.dumps(policy_to_wire(policy)) == json.dumps(once)


def test_the_default_policy_travels_as_an_empty_object() -> None:
    assert policy_to_wire(DEFAULT_POLICY) == {}
    assert policy_from_wire({}) is DEFAULT_POLICY


def test_an_override_equal_to_the_default_does_not_travel() -> None:
    policy = with_overrides(DEFAULT_POLICY, {"labs": {"platelets": {"min_grade": 3}}, "fever": {"threshold_c": 38}})

    assert policy_to_wire(policy) == {}


def test_the_wire_form_names_only_what_moved() -> None:
    policy = with_overrides(
        DEFAULT_POLICY,
        {
            "labs": {"platelets": {"min_grade": 2}},
            "symptoms": {"diarrhea": {"min_grade": 2}},
            "fever": {"threshold_c": 37.5},
        },
    )

    assert policy_to_wire(policy) == {
        "labs": {"platelets": {"min_grade": 2}},
        "symptoms": {"diarrhea": {"min_grade": 2}},
        "fever": {"threshold_c": 37.5},
    }


def test_a_whole_degree_threshold_travels_as_an_integer() -> None:
    assert policy_to_wire(with_overrides(DEFAULT_POLICY, {"fever": {"threshold_c": 37}})) == {
        "fever": {"threshold_c": 37}
    }


def test_a_policy_no_clinic_could_set_does_not_travel_silently() -> None:
    labs = dict(DEFAULT_POLICY.labs)
    labs["platelets"] = replace(labs["platelets"], hold_below=Decimal(40))
    odd = AlertPolicy(MappingProxyType(labs), DEFAULT_POLICY.symptoms, DEFAULT_POLICY.fever)

    with pytest.raises(PolicyError, match=r"labs\.platelets"):
        policy_to_wire(odd)


# ---- what the phone cannot read leaves the default -----------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        None,
        [],
        "labs",
        42,
        {"labs": "platelets"},
        {"labs": {"platelets": 2}},
        {"labs": {"platelets": {"min_grade": 4}}},  # looser
        {"labs": {"platelets": {"min_grade": 0}}},
        {"labs": {"platelets": {"min_grade": "2"}}},
        {"labs": {"platelets": {"min_grade": True}}},
        {"labs": {"platelets": {"min_grade": 2.0}}},
        {"labs": {"platelets": {"hold_below": 50}}},  # the label's hold is not a clinic's to move
        {"labs": {"unobtainium": {"min_grade": 1}}},
        {"symptoms": {"hiccups": {"min_grade": 1}}},
        {"fever": {"threshold_c": 39}},  # looser
        {"fever": {"threshold_c": 36}},
        {"fever": {"threshold_c": "37.5"}},
        {"fever": {"threshold_c": float("nan")}},
        {"fever": {"threshold_c": float("inf")}},
        {"fever": 37.5},
        {"fever": {"anc_window": 30}},  # not a clinic's to move
        {"fever": {"nadir_no_anc_critical": "yes"}},
        {"escalation": {"minutes": 1}},
    ],
)
def test_a_payload_the_phone_cannot_read_is_the_default(data: object) -> None:
    assert policy_from_wire(data) == DEFAULT_POLICY


def test_an_unreadable_fever_setting_is_dropped_alone() -> None:
    """Like the rules: a fever setting this phone cannot read (a newer server's) leaves the rest."""
    policy = policy_from_wire({"fever": {"threshold_c": 37.5, "anc_window": 30}})

    assert policy.fever.threshold_c == Decimal("37.5") and policy.fever.anc_window == DEFAULT_POLICY.fever.anc_window


def test_an_unreadable_override_is_dropped_alone() -> None:
    """A newer server may name a rule this phone does not know: the rest still applies."""
    policy = policy_from_wire(
        {
            "labs": {"unobtainium": {"min_grade": 1}, "platelets": {"min_grade": 2}},
            "symptoms": {"diarrhea": {"min_grade": 9}, "rash": {"min_grade": 1}},
            "future_section": {"x": 1},
        }
    )

    assert policy.labs["platelets"].alert.min_grade == 2
    assert policy.symptoms["rash"].alert.min_grade == 1
    assert policy.symptoms["diarrhea"] == DEFAULT_POLICY.symptoms["diarrhea"]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=20,
)
near_misses = st.fixed_dictionaries(
    {},
    optional={
        "labs": st.dictionaries(
            st.sampled_from([*LAB_KEYS, "x"]), st.dictionaries(st.sampled_from(["min_grade", "y"]), json_values)
        ),
        "symptoms": st.dictionaries(
            st.sampled_from([*SYMPTOM_KEYS, "x"]), st.dictionaries(st.sampled_from(["min_grade", "y"]), json_values)
        ),
        "fever": json_values | st.fixed_dictionaries({"threshold_c": json_values}),
    },
)


@given(json_values | near_misses)
def test_any_payload_gives_a_policy_at_least_as_strict_as_the_default(data: object) -> None:
    assert at_least_as_strict(policy_from_wire(data))
