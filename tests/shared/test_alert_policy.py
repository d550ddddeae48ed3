"""Specification of shared.alert_policy: contract §4's default policy, row by row, at its boundaries."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from shared.alert_policy import (
    DEFAULT_POLICY,
    AlertCandidate,
    AlertPolicy,
    PolicyError,
    Severity,
    evaluate_lab,
    evaluate_symptom,
    latest_anc_in_window,
    with_overrides,
)
from shared.lab_grading import grade_lab
from shared.lab_values import parse_lab_value
from shared.symptoms import grade_symptom, validate_answers

BOTH = ("ixazomib", "lenalidomide")
IXAZOMIB = ("ixazomib",)
LENALIDOMIDE = ("lenalidomide",)
CALL_NOW = "Call your care team now"


def lab_alert(
    analyte: str, value: object, unit: str = "10^9/L", policy: AlertPolicy = DEFAULT_POLICY, **ref: object
) -> AlertCandidate | None:
    lab = parse_lab_value(analyte, value, unit, ref.get("low"), ref.get("high"))
    return evaluate_lab(policy, lab, grade_lab(lab))


def symptom_alert(
    symptom: str,
    answers: Mapping[str, object],
    policy: AlertPolicy = DEFAULT_POLICY,
    latest_anc: Decimal | None = None,
) -> AlertCandidate | None:
    entry, clean = validate_answers(symptom, answers)
    return evaluate_symptom(policy, entry.key, grade_symptom(entry.key, clean), latest_anc=latest_anc)


def fever(temperature: object, latest_anc: Decimal | None = None) -> AlertCandidate | None:
    return symptom_alert("fever", {"temperature_c": temperature}, latest_anc=latest_anc)


def alerted(candidate: AlertCandidate | None) -> AlertCandidate:
    assert candidate is not None
    return candidate


# ---------------------------------------------------------------------------
# thrombocytopenia: platelets < 50 ×10^9/L (grade ≥ 3); hold both when < 30
# ---------------------------------------------------------------------------


def test_platelets_of_exactly_50_raise_no_alert() -> None:
    assert lab_alert("platelets", 50) is None


def test_platelets_of_49_9_raise_an_urgent_grade_3_thrombocytopenia_alert_with_no_hold() -> None:
    alert = alerted(lab_alert("platelets", 49.9))
    assert (alert.kind, alert.grade, alert.severity) == ("thrombocytopenia", 3, Severity.URGENT)
    assert alert.hold_drugs == ()
    assert alert.dose_hold is False


def test_platelets_of_exactly_30_alert_but_hold_nothing() -> None:
    alert = alerted(lab_alert("platelets", 30))
    assert alert.grade == 3
    assert alert.hold_drugs == ()


def test_platelets_of_29_9_hold_ixazomib_and_lenalidomide() -> None:
    alert = alerted(lab_alert("platelets", Decimal("29.9")))
    assert (alert.kind, alert.grade, alert.severity) == ("thrombocytopenia", 3, Severity.URGENT)
    assert alert.hold_drugs == BOTH
    assert alert.dose_hold is True


def test_platelets_of_exactly_25_are_a_grade_3_urgent_alert_holding_both() -> None:
    alert = alerted(lab_alert("platelets", 25))
    assert (alert.grade, alert.severity, alert.hold_drugs) == (3, Severity.URGENT, BOTH)


def test_platelets_of_24_9_are_a_grade_4_critical_alert_holding_both() -> None:
    alert = alerted(lab_alert("platelets", Decimal("24.9")))
    assert (alert.kind, alert.grade, alert.severity, alert.hold_drugs) == (
        "thrombocytopenia",
        4,
        Severity.CRITICAL,
        BOTH,
    )


def test_the_platelet_hold_threshold_applies_in_per_ul_too() -> None:
    assert alerted(lab_alert("platelets", 30000, "/uL")).hold_drugs == ()
    assert alerted(lab_alert("platelets", 29999, "/uL")).hold_drugs == BOTH


def test_platelets_of_50000_per_ul_raise_no_alert_and_49999_do() -> None:
    assert lab_alert("platelets", 50000, "/uL") is None
    assert alerted(lab_alert("platelets", 49999, "/uL")).grade == 3


# ---------------------------------------------------------------------------
# neutropenia: ANC < 1.0 (grade ≥ 3); hold both when < 0.5
# ---------------------------------------------------------------------------


def test_anc_of_exactly_1_0_raises_no_alert() -> None:
    assert lab_alert("anc", Decimal("1.0")) is None


def test_anc_of_0_99_raises_an_urgent_grade_3_neutropenia_alert_with_no_hold() -> None:
    alert = alerted(lab_alert("anc", Decimal("0.99")))
    assert (alert.kind, alert.grade, alert.severity, alert.hold_drugs) == ("neutropenia", 3, Severity.URGENT, ())


def test_anc_of_exactly_0_5_alerts_but_holds_nothing() -> None:
    alert = alerted(lab_alert("anc", Decimal("0.5")))
    assert (alert.grade, alert.severity, alert.hold_drugs) == (3, Severity.URGENT, ())


def test_anc_of_0_49_is_a_grade_4_critical_alert_holding_both() -> None:
    alert = alerted(lab_alert("anc", Decimal("0.49")))
    assert (alert.kind, alert.grade, alert.severity, alert.hold_drugs) == ("neutropenia", 4, Severity.CRITICAL, BOTH)


def test_the_anc_hold_threshold_applies_in_per_ul_too() -> None:
    assert alerted(lab_alert("anc", 500, "/uL")).hold_drugs == ()
    assert alerted(lab_alert("anc", 499, "/uL")).hold_drugs == BOTH


# ---------------------------------------------------------------------------
# Beyond the contract's table: anemia, leukopenia, liver and kidney values
# ---------------------------------------------------------------------------


def test_hemoglobin_grade_2_raises_no_alert_and_grade_3_an_urgent_anemia_alert_with_no_hold() -> None:
    assert lab_alert("hemoglobin", Decimal("8.0"), "g/dL") is None
    alert = alerted(lab_alert("hemoglobin", Decimal("7.9"), "g/dL"))
    assert (alert.kind, alert.grade, alert.severity, alert.hold_drugs) == ("anemia", 3, Severity.URGENT, ())


def test_wbc_grade_3_raises_no_alert_and_grade_4_a_critical_leukopenia_alert() -> None:
    assert lab_alert("wbc", Decimal("1.0")) is None
    alert = alerted(lab_alert("wbc", Decimal("0.99")))
    assert (alert.kind, alert.grade, alert.severity, alert.hold_drugs) == ("leukopenia", 4, Severity.CRITICAL, ())


@pytest.mark.parametrize(
    ("analyte", "unit", "grade_2", "grade_3", "kind"),
    [
        ("alt", "U/L", "200", "200.1", "hepatotoxicity"),
        ("ast", "U/L", "200", "200.1", "hepatotoxicity"),
        ("bilirubin", "mg/dL", "3.6", "3.61", "hepatotoxicity"),
        # Sex not recorded: the women's ULN 1.04 mg/dL, x 3 = 3.12.
        ("creatinine", "mg/dL", "3.12", "3.13", "creatinine_increased"),
        ("alkaline_phosphatase", "U/L", "735", "735.1", "hepatotoxicity"),
    ],
)
def test_rising_values_alert_at_grade_3_and_hold_ixazomib(
    analyte: str, unit: str, grade_2: str, grade_3: str, kind: str
) -> None:
    assert lab_alert(analyte, Decimal(grade_2), unit) is None
    alert = alerted(lab_alert(analyte, Decimal(grade_3), unit))
    assert (alert.kind, alert.grade, alert.severity, alert.hold_drugs) == (kind, 3, Severity.URGENT, IXAZOMIB)


def test_alt_above_20_times_uln_is_critical() -> None:
    alert = alerted(lab_alert("alt", Decimal("800.1"), "U/L"))
    assert (alert.grade, alert.severity, alert.hold_drugs) == (4, Severity.CRITICAL, IXAZOMIB)


# ---------------------------------------------------------------------------
# Fever and febrile neutropenia
# ---------------------------------------------------------------------------


def test_a_temperature_of_37_9_raises_no_alert() -> None:
    assert fever(37.9) is None


def test_a_temperature_of_37_9_with_a_low_anc_raises_no_alert() -> None:
    assert fever(37.9, Decimal("0.1")) is None


def test_a_temperature_of_38_0_without_a_recent_anc_is_an_urgent_fever_alert() -> None:
    alert = alerted(fever(38.0))
    assert (alert.kind, alert.grade, alert.severity, alert.hold_drugs) == ("fever", None, Severity.URGENT, ())
    assert alert.dose_hold is False


def test_fever_with_a_latest_anc_of_0_99_is_critical_febrile_neutropenia() -> None:
    alert = alerted(fever(38.0, Decimal("0.99")))
    assert (alert.kind, alert.grade, alert.severity, alert.hold_drugs) == (
        "febrile_neutropenia",
        None,
        Severity.CRITICAL,
        (),
    )
    assert CALL_NOW in alert.patient_advice


def test_fever_with_a_latest_anc_of_exactly_1_0_is_a_plain_fever() -> None:
    alert = alerted(fever(38.0, Decimal("1.0")))
    assert (alert.kind, alert.severity) == ("fever", Severity.URGENT)


def test_the_fever_alert_message_states_the_temperature_and_the_anc() -> None:
    assert alerted(fever(38.4, Decimal("1.2"))).message == "Temperature 38.4 °C; latest ANC 1.2 ×10⁹/L."
    assert alerted(fever(38.4)).message == "Temperature 38.4 °C; no ANC in the last 7 days."


REPORTED = datetime(2026, 11, 20, 20, 0, tzinfo=UTC)


def test_latest_anc_in_window_picks_the_latest_within_7_days() -> None:
    ancs = [
        (REPORTED - timedelta(days=6), Decimal("0.4")),
        (REPORTED - timedelta(days=1), Decimal("1.6")),
        (REPORTED - timedelta(days=3), Decimal("0.8")),
    ]
    assert latest_anc_in_window(DEFAULT_POLICY, REPORTED, ancs) == Decimal("1.6")


def test_latest_anc_in_window_ignores_older_than_7_days() -> None:
    ancs = [(REPORTED - timedelta(days=7, seconds=1), Decimal("0.4"))]
    assert latest_anc_in_window(DEFAULT_POLICY, REPORTED, ancs) is None


def test_latest_anc_in_window_includes_exactly_7_days_before() -> None:
    ancs = [(REPORTED - timedelta(days=7), Decimal("0.4"))]
    assert latest_anc_in_window(DEFAULT_POLICY, REPORTED, ancs) == Decimal("0.4")


def test_latest_anc_in_window_ignores_anc_collected_after_the_report() -> None:
    ancs = [
        (REPORTED - timedelta(days=2), Decimal("0.8")),
        (REPORTED + timedelta(seconds=1), Decimal("3.0")),
    ]
    assert latest_anc_in_window(DEFAULT_POLICY, REPORTED, ancs) == Decimal("0.8")


def test_latest_anc_in_window_includes_one_collected_at_the_report_time() -> None:
    assert latest_anc_in_window(DEFAULT_POLICY, REPORTED, [(REPORTED, Decimal("0.7"))]) == Decimal("0.7")


def test_latest_anc_in_window_compares_instants_across_offsets() -> None:
    new_york = timezone(timedelta(hours=-5))
    ancs = [
        (datetime(2026, 11, 20, 14, 0, tzinfo=new_york), Decimal("0.6")),  # 19:00 UTC: latest
        (datetime(2026, 11, 20, 18, 0, tzinfo=UTC), Decimal("1.9")),
    ]
    assert latest_anc_in_window(DEFAULT_POLICY, REPORTED, ancs) == Decimal("0.6")


def test_latest_anc_in_window_of_no_readings_is_none() -> None:
    assert latest_anc_in_window(DEFAULT_POLICY, REPORTED, []) is None


# ---------------------------------------------------------------------------
# peripheral_neuropathy: grade 1 with pain, or grade ≥ 2; hold ixazomib
# ---------------------------------------------------------------------------


def test_neuropathy_grade_1_without_pain_raises_no_alert() -> None:
    assert symptom_alert("peripheral_neuropathy", {"severity": "mild", "pain": False}) is None


def test_neuropathy_grade_0_with_pain_raises_no_alert() -> None:
    assert symptom_alert("peripheral_neuropathy", {"severity": "none", "pain": True}) is None


def test_neuropathy_grade_1_with_pain_alerts_and_holds_ixazomib() -> None:
    alert = alerted(symptom_alert("peripheral_neuropathy", {"severity": "mild", "pain": True}))
    assert (alert.kind, alert.grade, alert.severity, alert.hold_drugs) == (
        "peripheral_neuropathy",
        1,
        Severity.URGENT,
        IXAZOMIB,
    )
    assert alert.dose_hold is True


@pytest.mark.parametrize(("severity", "grade"), [("moderate", 2), ("severe", 3)])
def test_neuropathy_grade_2_or_more_alerts_and_holds_ixazomib(severity: str, grade: int) -> None:
    alert = alerted(symptom_alert("peripheral_neuropathy", {"severity": severity}))
    assert (alert.grade, alert.severity, alert.hold_drugs) == (grade, Severity.URGENT, IXAZOMIB)


# ---------------------------------------------------------------------------
# rash: grade ≥ 2, or blisters or peeling at any grade; hold lenalidomide
# ---------------------------------------------------------------------------


def test_rash_grade_1_raises_no_alert() -> None:
    assert symptom_alert("rash", {"body_area": "under_10", "symptoms": "severe"}) is None


@pytest.mark.parametrize(
    ("answers", "grade"),
    [({"body_area": "10_to_30"}, 2), ({"body_area": "over_30", "symptoms": "moderate"}, 3)],
)
def test_rash_grade_2_or_3_alerts_urgently_and_holds_lenalidomide(answers: dict[str, object], grade: int) -> None:
    alert = alerted(symptom_alert("rash", answers))
    assert (alert.kind, alert.grade, alert.severity, alert.hold_drugs) == ("rash", grade, Severity.URGENT, LENALIDOMIDE)


def test_rash_with_blisters_at_grade_1_is_critical_and_holds_lenalidomide() -> None:
    alert = alerted(symptom_alert("rash", {"body_area": "under_10", "blisters_or_peeling": True}))
    assert (alert.kind, alert.grade, alert.severity, alert.hold_drugs) == (
        "rash",
        1,
        Severity.CRITICAL,
        LENALIDOMIDE,
    )
    assert alert.title == "Rash with blisters or peeling"
    assert CALL_NOW in alert.patient_advice


def test_rash_with_blisters_at_grade_2_is_critical() -> None:
    alert = alerted(symptom_alert("rash", {"body_area": "10_to_30", "blisters_or_peeling": True}))
    assert alert.severity is Severity.CRITICAL


# ---------------------------------------------------------------------------
# diarrhea, nausea, vomiting, constipation, edema: grade ≥ 3; hold ixazomib
# ---------------------------------------------------------------------------

GRADE_2_AND_3 = [
    ("diarrhea", {"stools_above_usual": 6}, {"stools_above_usual": 7}),
    *[(s, {"severity": "moderate"}, {"severity": "severe"}) for s in ("nausea", "vomiting", "constipation", "edema")],
]


@pytest.mark.parametrize(("symptom", "grade_2", "grade_3"), GRADE_2_AND_3)
def test_other_symptoms_at_grade_2_raise_no_alert(
    symptom: str, grade_2: dict[str, object], grade_3: dict[str, object]
) -> None:
    assert symptom_alert(symptom, grade_2) is None


@pytest.mark.parametrize(("symptom", "grade_2", "grade_3"), GRADE_2_AND_3)
def test_other_symptoms_at_grade_3_alert_urgently_and_hold_ixazomib(
    symptom: str, grade_2: dict[str, object], grade_3: dict[str, object]
) -> None:
    alert = alerted(symptom_alert(symptom, grade_3))
    assert (alert.kind, alert.grade, alert.severity, alert.hold_drugs) == (symptom, 3, Severity.URGENT, IXAZOMIB)
    assert alert.dose_hold is True


@pytest.mark.parametrize(
    ("symptom", "answers"),
    [
        ("diarrhea", {"stools_above_usual": 9, "danger_signs": True}),
        ("diarrhea", {"stools_above_usual": 2, "danger_signs": True}),
        ("vomiting", {"severity": "severe", "danger_signs": True}),
        ("constipation", {"severity": "moderate", "danger_signs": True}),
    ],
)
def test_a_grade_4_symptom_is_critical_holds_ixazomib_and_says_call_now(
    symptom: str, answers: dict[str, object]
) -> None:
    alert = alerted(symptom_alert(symptom, answers))
    assert (alert.grade, alert.severity, alert.hold_drugs) == (4, Severity.CRITICAL, IXAZOMIB)
    assert alert.patient_advice.startswith(CALL_NOW)
    assert alert.title == f"Grade 4 {symptom}"
    assert alert.message.endswith("CTCAE v5.0 grade 4 (danger signs). Label: hold ixazomib until grade 1 or better.")


@pytest.mark.parametrize(
    ("symptom", "answers"),
    [
        ("nausea", {"severity": "severe", "eating": "less", "hospital": False}),
        ("vomiting", {"severity": "severe", "hospital": False, "danger_signs": False}),
        (
            "constipation",
            {"severity": "severe", "laxatives": "regularly", "limits_activities": "no", "danger_signs": False},
        ),
        ("edema", {"severity": "severe", "limits_activities": "usual_tasks"}),
    ],
)
def test_severe_without_the_ctcae_grade_3_criterion_raises_no_alert_and_holds_nothing(
    symptom: str, answers: dict[str, object]
) -> None:
    assert symptom_alert(symptom, answers) is None
    assert alerted(symptom_alert(symptom, {"severity": "severe"})).hold_drugs == IXAZOMIB  # severity alone: as today


def test_a_grade_3_reached_by_a_follow_up_names_it_for_the_nurse() -> None:
    alert = alerted(symptom_alert("nausea", {"severity": "moderate", "eating": "too_little"}))
    assert (alert.grade, alert.severity, alert.hold_drugs) == (3, Severity.URGENT, IXAZOMIB)
    assert alert.message.startswith("Patient-reported nausea: CTCAE v5.0 grade 3 (inadequate oral intake).")


# ---------------------------------------------------------------------------
# dose_hold, advice, sources
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(("hold", "expected"), [((), False), (IXAZOMIB, True), (BOTH, True)])
def test_dose_hold_is_true_iff_hold_drugs_is_not_empty(hold: tuple[str, ...], expected: bool) -> None:
    candidate = AlertCandidate("k", 3, Severity.URGENT, hold, "t", "m", "a", "s")
    assert candidate.dose_hold is expected


@pytest.mark.parametrize(
    "candidate",
    [
        pytest.param(lambda: lab_alert("platelets", Decimal("24.9")), id="platelets-grade-4"),
        pytest.param(lambda: lab_alert("anc", Decimal("0.49")), id="anc-grade-4"),
        pytest.param(lambda: lab_alert("wbc", Decimal("0.5")), id="wbc-grade-4"),
        pytest.param(lambda: fever(38.5, Decimal("0.2")), id="febrile-neutropenia"),
        pytest.param(lambda: symptom_alert("rash", {"body_area": "none", "blisters_or_peeling": True}), id="blisters"),
    ],
)
def test_a_critical_alert_tells_the_patient_to_call_the_care_team_now(
    candidate: Callable[[], AlertCandidate | None],
) -> None:
    alert = alerted(candidate())
    assert alert.severity is Severity.CRITICAL
    assert CALL_NOW in alert.patient_advice


def test_an_urgent_alert_does_not_tell_the_patient_to_call_now() -> None:
    alert = alerted(lab_alert("platelets", 40))
    assert CALL_NOW not in alert.patient_advice


def test_a_hold_tells_the_patient_which_drugs_not_to_take_in_plain_words() -> None:
    alert = alerted(lab_alert("platelets", 20))
    assert "Do not take ixazomib (Ninlaro) or lenalidomide (Revlimid) for now." in alert.patient_advice


@pytest.mark.parametrize(
    "candidate",
    [
        pytest.param(lambda: lab_alert("platelets", 20), id="platelets"),
        pytest.param(lambda: lab_alert("anc", Decimal("0.4")), id="anc"),
        pytest.param(lambda: lab_alert("alt", 300, "U/L"), id="alt"),
        pytest.param(lambda: symptom_alert("diarrhea", {"stools_above_usual": 8}), id="diarrhea"),
        pytest.param(lambda: symptom_alert("rash", {"body_area": "10_to_30"}), id="rash"),
    ],
)
def test_after_a_hold_the_patient_is_told_the_care_team_decides_when_and_at_what_dose_to_restart(
    candidate: Callable[[], AlertCandidate | None],
) -> None:
    # Label Table 3: after low platelets, lenalidomide resumes at the next lower dose; the restart is
    # the prescriber's decision, so the patient never reads a count at which to restart alone.
    alert = alerted(candidate())
    assert alert.dose_hold
    assert "Your care team will tell you when to start again and at what dose." in alert.patient_advice
    assert "until" not in alert.patient_advice
    assert "30" not in alert.patient_advice and "0.5" not in alert.patient_advice


def test_a_symptom_hold_tells_the_patient_which_drug_not_to_take() -> None:
    alert = alerted(symptom_alert("diarrhea", {"stools_above_usual": 8}))
    assert "Do not take ixazomib (Ninlaro)" in alert.patient_advice
    assert "lenalidomide" not in alert.patient_advice


def test_the_nurse_message_states_value_unit_grade_term_and_limit() -> None:
    alert = alerted(lab_alert("platelets", 42000, "/uL"))
    assert alert.message == (
        "Platelets 42000 /µL (= 42 ×10⁹/L): CTCAE v5.0 grade 3 'Platelet count decreased' "
        "by < 50000 /µL (LLN 150000 /µL, CareLoop default)."
    )
    assert alert.title == "Grade 3 thrombocytopenia"


def test_the_nurse_message_says_when_the_limit_is_the_labs_own() -> None:
    alert = alerted(lab_alert("platelets", 42, "K/uL", low=140))
    assert "(LLN 140 K/µL, lab's own)" in alert.message


@pytest.mark.parametrize("analyte", sorted(DEFAULT_POLICY.labs))
def test_every_lab_rule_names_its_source(analyte: str) -> None:
    assert DEFAULT_POLICY.labs[analyte].source.strip()


@pytest.mark.parametrize("symptom", sorted(DEFAULT_POLICY.symptoms))
def test_every_symptom_rule_names_its_source(symptom: str) -> None:
    assert DEFAULT_POLICY.symptoms[symptom].source.strip()


def test_the_fever_rule_names_its_source() -> None:
    assert DEFAULT_POLICY.fever.source.strip()


def test_alerts_carry_their_rules_source() -> None:
    assert alerted(lab_alert("platelets", 20)).source == DEFAULT_POLICY.labs["platelets"].source
    assert alerted(fever(39)).source == DEFAULT_POLICY.fever.source


def test_the_default_policy_covers_every_graded_symptom_and_every_analyte() -> None:
    assert set(DEFAULT_POLICY.symptoms) == {
        "peripheral_neuropathy",
        "rash",
        "diarrhea",
        "nausea",
        "vomiting",
        "constipation",
        "edema",
    }
    assert set(DEFAULT_POLICY.labs) == {
        "platelets",
        "anc",
        "wbc",
        "hemoglobin",
        "creatinine",
        "alt",
        "ast",
        "bilirubin",
        "alkaline_phosphatase",
        "hemoglobin_increased",
        "leukocytosis",
    }


# ---------------------------------------------------------------------------
# with_overrides: stricter only
# ---------------------------------------------------------------------------


def test_a_clinic_may_alert_on_grade_2_platelets_but_the_hold_stays_below_30() -> None:
    policy = with_overrides(DEFAULT_POLICY, {"labs": {"platelets": {"min_grade": 2}}})
    assert lab_alert("platelets", 75, policy=policy) is None
    alert = alerted(lab_alert("platelets", Decimal("74.9"), policy=policy))
    assert (alert.grade, alert.hold_drugs) == (2, ())
    assert alerted(lab_alert("platelets", 30, policy=policy)).hold_drugs == ()
    assert alerted(lab_alert("platelets", Decimal("29.9"), policy=policy)).hold_drugs == BOTH


def test_an_override_leaves_the_base_policy_untouched() -> None:
    with_overrides(DEFAULT_POLICY, {"labs": {"platelets": {"min_grade": 2}}})
    assert lab_alert("platelets", Decimal("74.9")) is None


def test_a_clinic_may_alert_on_grade_2_diarrhea_but_ixazomib_is_held_only_from_grade_3() -> None:
    policy = with_overrides(DEFAULT_POLICY, {"symptoms": {"diarrhea": {"min_grade": 2}}})
    alert = alerted(symptom_alert("diarrhea", {"stools_above_usual": 4}, policy))
    assert (alert.grade, alert.hold_drugs) == (2, ())


def test_a_stricter_neuropathy_rule_keeps_the_pain_trigger() -> None:
    policy = with_overrides(DEFAULT_POLICY, {"symptoms": {"peripheral_neuropathy": {"min_grade": 1}}})
    no_pain = alerted(symptom_alert("peripheral_neuropathy", {"severity": "mild"}, policy))
    assert no_pain.hold_drugs == ()
    with_pain = alerted(symptom_alert("peripheral_neuropathy", {"severity": "mild", "pain": True}, policy))
    assert with_pain.hold_drugs == IXAZOMIB


def test_a_clinic_may_lower_the_fever_threshold() -> None:
    policy = with_overrides(DEFAULT_POLICY, {"fever": {"threshold_c": 37.5}})
    assert policy.fever.threshold_c == Decimal("37.5")
    entry, clean = validate_answers("fever", {"temperature_c": 37.5})
    assert alerted(evaluate_symptom(policy, entry.key, grade_symptom(entry.key, clean))).kind == "fever"


def test_an_override_equal_to_the_default_is_allowed() -> None:
    policy = with_overrides(DEFAULT_POLICY, {"labs": {"platelets": {"min_grade": 3}}, "fever": {"threshold_c": 38}})
    assert policy.labs["platelets"].alert.min_grade == 3
    assert policy.fever.threshold_c == Decimal(38)


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param({"labs": {"platelets": {"min_grade": 4}}}, id="looser-lab"),
        pytest.param({"symptoms": {"diarrhea": {"min_grade": 4}}}, id="looser-symptom"),
        pytest.param({"labs": {"platelets": {"min_grade": 0}}}, id="grade-0"),
        pytest.param({"labs": {"platelets": {"min_grade": True}}}, id="bool-grade"),
        pytest.param({"labs": {"platelets": {"min_grade": 2.0}}}, id="float-grade"),
        pytest.param({"labs": {"platelets": {"min_grade": "2"}}}, id="text-grade"),
        pytest.param({"labs": {"platelets": {"hold_below": 50}}}, id="hold-threshold"),
        pytest.param({"labs": {"ferritin": {"min_grade": 2}}}, id="unknown-analyte"),
        pytest.param({"symptoms": {"headache": {"min_grade": 2}}}, id="unknown-symptom"),
        pytest.param({"labels": {}}, id="unknown-section"),
        pytest.param({"labs": {"platelets": 2}}, id="rule-not-an-object"),
        pytest.param({"labs": ["platelets"]}, id="section-not-an-object"),
        pytest.param({"fever": {"threshold_c": 38.5}}, id="looser-fever"),
        pytest.param({"fever": {"threshold_c": 36.9}}, id="fever-below-37"),
        pytest.param({"fever": {"anc_window": 3}}, id="fever-window"),
        pytest.param({"fever": 37.5}, id="fever-not-an-object"),
    ],
)
def test_a_looser_or_unknown_override_is_refused(overrides: dict[str, object]) -> None:
    with pytest.raises(PolicyError):
        with_overrides(DEFAULT_POLICY, overrides)


@pytest.mark.parametrize("threshold", ["abc", None, True, "NaN", [38]], ids=["abc", "None", "True", "NaN", "list"])
def test_a_fever_threshold_that_is_not_a_number_is_refused_with_policy_error(threshold: object) -> None:
    with pytest.raises(PolicyError):
        with_overrides(DEFAULT_POLICY, {"fever": {"threshold_c": threshold}})


def test_two_ancs_collected_at_the_same_moment_count_as_the_lower_one() -> None:
    reported = datetime(2026, 11, 20, 20, tzinfo=UTC)
    at = reported - timedelta(days=1)
    assert latest_anc_in_window(DEFAULT_POLICY, reported, [(at, Decimal("1.5")), (at, Decimal("0.4"))]) == Decimal(
        "0.4"
    )
