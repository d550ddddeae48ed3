"""Specification of shared.symptoms: the contract §3 symptom table, answer checks, and the CTCAE v5.0
grade each set of answers maps to."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

import pytest

from shared.symptoms import SYMPTOMS, SymptomError, SymptomGrade, grade_symptom, validate_answers


def graded(symptom: str, answers: Mapping[str, object]) -> SymptomGrade:
    key, clean = validate_answers(symptom, answers)
    return grade_symptom(key.key, clean)


def grade(symptom: str, **answers: object) -> int | None:
    return graded(symptom, answers).grade


def errors_of(symptom: object, answers: object) -> dict[str, list[str]]:
    with pytest.raises(SymptomError) as caught:
        validate_answers(symptom, answers)
    return caught.value.errors


def test_the_contract_symptoms_are_exactly_the_ones_offered() -> None:
    assert set(SYMPTOMS) == {
        "diarrhea",
        "peripheral_neuropathy",
        "rash",
        "fever",
        "nausea",
        "vomiting",
        "constipation",
        "edema",
    }


@pytest.mark.parametrize("symptom", sorted(SYMPTOMS))
def test_every_symptom_names_its_ctcae_term_as_its_source(symptom: str) -> None:
    entry = SYMPTOMS[symptom]
    assert entry.ctcae_term
    assert entry.source.startswith(f"CTCAE v5.0 '{entry.ctcae_term}'")


@pytest.mark.parametrize("symptom", sorted(SYMPTOMS))
def test_every_question_has_plain_text(symptom: str) -> None:
    for question in SYMPTOMS[symptom].questions:
        assert question.text.strip()


# ---------------------------------------------------------------------------
# Diarrhea: stools per day above the usual number (0 → 0; 1–3 → 1; 4–6 → 2; ≥7 → 3)
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stools", "expected"),
    [(0, 0), (1, 1), (3, 1), (4, 2), (6, 2), (7, 3), (12, 3), (50, 3)],
)
def test_diarrhea_grade_by_stools_above_usual(stools: int, expected: int) -> None:
    assert grade("diarrhea", stools_above_usual=stools) == expected


def test_diarrhea_stools_written_as_a_whole_float_are_accepted() -> None:
    assert grade("diarrhea", stools_above_usual=4.0) == 2


def test_diarrhea_stools_are_kept_as_an_int() -> None:
    _, clean = validate_answers("diarrhea", {"stools_above_usual": 4.0})
    assert clean == {"stools_above_usual": 4}
    assert type(clean["stools_above_usual"]) is int


@pytest.mark.parametrize(
    ("stools", "message"),
    [
        (-1, "Must be between 0 and 50."),
        (51, "Must be between 0 and 50."),
        (2.5, "Must be a whole number."),
        (True, "Must be a number."),
        (False, "Must be a number."),
        ("5", "Must be a number."),
        (float("nan"), "Must be a finite number."),
        (float("inf"), "Must be a finite number."),
    ],
)
def test_diarrhea_stools_that_are_not_a_whole_count_are_refused(stools: object, message: str) -> None:
    assert errors_of("diarrhea", {"stools_above_usual": stools}) == {"answers.stools_above_usual": [message]}


@pytest.mark.parametrize("answers", [{}, {"stools_above_usual": None}])
def test_diarrhea_without_a_stool_count_is_refused(answers: dict[str, object]) -> None:
    assert errors_of("diarrhea", answers) == {"answers.stools_above_usual": ["This answer is required."]}


# ---------------------------------------------------------------------------
# Peripheral neuropathy: none 0, mild 1, moderate 2, severe 3; limits_self_care → at least 3
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(("severity", "expected"), [("none", 0), ("mild", 1), ("moderate", 2), ("severe", 3)])
def test_neuropathy_grade_by_severity(severity: str, expected: int) -> None:
    assert grade("peripheral_neuropathy", severity=severity) == expected


@pytest.mark.parametrize("severity", ["mild", "moderate", "severe"])
def test_neuropathy_that_limits_self_care_is_at_least_grade_3(severity: str) -> None:
    assert grade("peripheral_neuropathy", severity=severity, limits_self_care=True) == 3


@pytest.mark.parametrize(("severity", "expected"), [("mild", 1), ("moderate", 2), ("severe", 3)])
def test_neuropathy_that_does_not_limit_self_care_keeps_its_severity_grade(severity: str, expected: int) -> None:
    assert grade("peripheral_neuropathy", severity=severity, limits_self_care=False) == expected


def test_neuropathy_pain_does_not_change_the_grade_but_is_flagged() -> None:
    result = graded("peripheral_neuropathy", {"severity": "mild", "pain": True})
    assert result.grade == 1
    assert result.flags == frozenset({"pain"})


def test_neuropathy_without_pain_has_no_flags() -> None:
    result = graded("peripheral_neuropathy", {"severity": "moderate", "pain": False})
    assert result.flags == frozenset()


def test_neuropathy_that_limits_self_care_is_flagged() -> None:
    result = graded("peripheral_neuropathy", {"severity": "mild", "limits_self_care": True, "pain": True})
    assert result.flags == frozenset({"pain", "limits_self_care"})


def test_neuropathy_optional_answers_default_to_no() -> None:
    _, clean = validate_answers("peripheral_neuropathy", {"severity": "mild"})
    assert clean == {"severity": "mild", "pain": False, "limits_self_care": False}


@pytest.mark.parametrize("pain", ["yes", 1, 0, "true"])
def test_neuropathy_pain_must_be_a_real_bool(pain: object) -> None:
    assert errors_of("peripheral_neuropathy", {"severity": "mild", "pain": pain}) == {
        "answers.pain": ["Must be true or false."]
    }


@pytest.mark.parametrize("severity", ["very severe", "2", 2, True, ""])
def test_neuropathy_severity_outside_the_choices_is_refused(severity: object) -> None:
    assert errors_of("peripheral_neuropathy", {"severity": severity}) == {
        "answers.severity": ["Must be one of: none, mild, moderate, severe."]
    }


@pytest.mark.parametrize("severity", ["Mild", " MILD ", "mild"])
def test_choice_answers_are_case_and_space_insensitive(severity: str) -> None:
    _, clean = validate_answers("peripheral_neuropathy", {"severity": severity})
    assert clean["severity"] == "mild"


# ---------------------------------------------------------------------------
# Rash: none 0; under_10 → 1; 10_to_30 → 2; over_30 → 2, or 3 with moderate/severe symptoms;
# limits_self_care → at least 3; blisters_or_peeling flagged
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body_area", "symptoms", "expected"),
    [
        ("none", "none", 0),
        ("under_10", "none", 1),
        ("under_10", "severe", 1),
        ("10_to_30", "none", 2),
        ("10_to_30", "severe", 2),
        ("over_30", "none", 2),
        ("over_30", "mild", 2),
        ("over_30", "moderate", 3),
        ("over_30", "severe", 3),
    ],
)
def test_rash_grade_by_body_area_and_symptoms(body_area: str, symptoms: str, expected: int) -> None:
    assert grade("rash", body_area=body_area, symptoms=symptoms) == expected


def test_rash_symptoms_default_to_none() -> None:
    assert grade("rash", body_area="over_30") == 2


@pytest.mark.parametrize("body_area", ["under_10", "10_to_30", "over_30"])
def test_rash_that_limits_self_care_is_at_least_grade_3(body_area: str) -> None:
    assert grade("rash", body_area=body_area, limits_self_care=True) == 3


def test_rash_with_blisters_keeps_its_area_grade_and_is_flagged() -> None:
    result = graded("rash", {"body_area": "under_10", "blisters_or_peeling": True})
    assert result.grade == 1
    assert result.flags == frozenset({"blisters_or_peeling"})


def test_rash_that_limits_self_care_is_flagged() -> None:
    result = graded("rash", {"body_area": "under_10", "limits_self_care": True})
    assert result.flags == frozenset({"limits_self_care"})


def test_rash_optional_answers_default_to_none_and_no() -> None:
    _, clean = validate_answers("rash", {"body_area": "under_10"})
    assert clean == {
        "body_area": "under_10",
        "symptoms": "none",
        "limits_self_care": False,
        "blisters_or_peeling": False,
    }


@pytest.mark.parametrize("body_area", ["under_5", "30_to_50", "", 10])
def test_rash_body_area_outside_the_choices_is_refused(body_area: object) -> None:
    assert errors_of("rash", {"body_area": body_area}) == {
        "answers.body_area": ["Must be one of: none, under_10, 10_to_30, over_30."]
    }


def test_rash_without_a_body_area_is_refused() -> None:
    assert errors_of("rash", {"symptoms": "mild"}) == {"answers.body_area": ["This answer is required."]}


# ---------------------------------------------------------------------------
# Fever: temperature_c 35–43, no CTCAE grade
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("temperature", [35, 43, 38.0, 37.9, Decimal("38.0")])
def test_fever_temperatures_from_35_to_43_are_accepted_with_no_grade(temperature: object) -> None:
    result = graded("fever", {"temperature_c": temperature})
    assert result.grade is None
    assert result.temperature_c == Decimal(str(temperature))
    assert result.flags == frozenset()


def test_a_fever_temperature_is_kept_as_an_exact_decimal() -> None:
    result = graded("fever", {"temperature_c": 37.9})
    assert isinstance(result.temperature_c, Decimal)
    assert str(result.temperature_c) == "37.9"


@pytest.mark.parametrize("temperature", [34.9, 43.1, 0, -38, 100.4])
def test_fever_temperatures_outside_35_to_43_are_refused(temperature: float) -> None:
    assert errors_of("fever", {"temperature_c": temperature}) == {
        "answers.temperature_c": ["Must be between 35 and 43."]
    }


@pytest.mark.parametrize("temperature", [True, "38.5", None])
def test_a_fever_temperature_that_is_not_a_number_is_refused(temperature: object) -> None:
    assert "answers.temperature_c" in errors_of("fever", {"temperature_c": temperature})


def test_non_fever_symptoms_carry_no_temperature() -> None:
    assert graded("nausea", {"severity": "mild"}).temperature_c is None


# ---------------------------------------------------------------------------
# Nausea, vomiting, constipation, edema: none 0, mild 1, moderate 2, severe 3
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("symptom", ["nausea", "vomiting", "constipation", "edema"])
@pytest.mark.parametrize(("severity", "expected"), [("none", 0), ("mild", 1), ("moderate", 2), ("severe", 3)])
def test_severity_only_symptoms_grade_by_severity(symptom: str, severity: str, expected: int) -> None:
    result = graded(symptom, {"severity": severity})
    assert result.grade == expected
    assert result.flags == frozenset()


@pytest.mark.parametrize("symptom", ["nausea", "vomiting", "constipation", "edema"])
def test_severity_only_symptoms_require_a_severity(symptom: str) -> None:
    assert errors_of(symptom, {}) == {"answers.severity": ["This answer is required."]}


# ---------------------------------------------------------------------------
# Refusals
# ---------------------------------------------------------------------------


def test_an_unknown_answer_name_is_refused_naming_it_and_the_expected_ones() -> None:
    errors = errors_of("nausea", {"severity": "mild", "severty": "mild"})
    assert list(errors) == ["answers.severty"]
    assert errors["answers.severty"] == ["Not a question for nausea. Expected: severity."]


def test_an_answer_of_another_symptom_is_refused() -> None:
    errors = errors_of("diarrhea", {"stools_above_usual": 2, "severity": "mild"})
    assert list(errors) == ["answers.severity"]


def test_every_bad_answer_is_reported_at_once() -> None:
    errors = errors_of("rash", {"body_area": "huge", "symptoms": "awful", "blisters_or_peeling": "yes", "x": 1})
    assert set(errors) == {"answers.body_area", "answers.symptoms", "answers.blisters_or_peeling", "answers.x"}


@pytest.mark.parametrize("symptom", ["headache", "", "diarrhoea", None, 3])
def test_an_unknown_symptom_is_refused_on_the_symptom_field_listing_the_known_ones(symptom: object) -> None:
    errors = errors_of(symptom, {"severity": "mild"})
    assert list(errors) == ["symptom"]
    for key in SYMPTOMS:
        assert key in errors["symptom"][0]


def test_the_symptom_name_is_case_and_space_insensitive() -> None:
    symptom, _ = validate_answers(" Nausea ", {"severity": "mild"})
    assert symptom.key == "nausea"


@pytest.mark.parametrize("answers", [None, [], "mild", 3])
def test_answers_that_are_not_an_object_are_refused_on_the_answers_field(answers: object) -> None:
    assert errors_of("nausea", answers) == {"answers": ["Must be an object of answers."]}


def test_a_symptom_error_message_names_each_field() -> None:
    with pytest.raises(SymptomError) as caught:
        validate_answers("nausea", {"severity": "awful"})
    assert str(caught.value) == "answers.severity: Must be one of: none, mild, moderate, severe."
