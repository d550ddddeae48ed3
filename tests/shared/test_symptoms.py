"""Specification of shared.symptoms: the contract §3 symptom table, answer checks, and the CTCAE v5.0
grade each set of answers maps to."""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.symptoms import SYMPTOMS, Kind, SymptomError, SymptomGrade, grade_symptom, validate_answers


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
    assert errors["answers.severty"] == ["Not a question for nausea. Expected: eating, hospital, severity."]


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


# ---------------------------------------------------------------------------
# Follow-ups: the CTCAE v5.0 criteria, asked in plain words, so every grade of a term is reachable
# (issue 13 §4). Every combination of answers is enumerated below; "-" means left unanswered.
# ---------------------------------------------------------------------------

SEVERITIES = ("none", "mild", "moderate", "severe")
SKIP = "-"


def answers_of(**answers: object) -> dict[str, object]:
    """The answers given, without the ones left unanswered."""
    return {key: value for key, value in answers.items() if value != SKIP}


def test_the_follow_ups_are_optional_and_never_filled_in() -> None:
    # Unanswered is "not known", never "no": nothing is added, so the stored answers (and their
    # fingerprint) of a contract-only report stay exactly as before.
    for symptom in ("nausea", "vomiting", "constipation", "edema"):
        assert validate_answers(symptom, {"severity": "severe"})[1] == {"severity": "severe"}
    assert validate_answers("diarrhea", {"stools_above_usual": 8})[1] == {"stools_above_usual": 8}


@pytest.mark.parametrize(
    ("symptom", "follow_ups"),
    [
        ("nausea", ["eating", "hospital"]),
        ("vomiting", ["hospital", "danger_signs"]),
        ("constipation", ["laxatives", "limits_activities", "danger_signs"]),
        ("edema", ["limits_activities"]),
        ("diarrhea", ["limits_activities", "hospital", "danger_signs"]),
        ("peripheral_neuropathy", []),
        ("rash", []),
        ("fever", []),
    ],
)
def test_each_symptom_asks_the_follow_ups_its_ctcae_row_needs(symptom: str, follow_ups: list[str]) -> None:
    assert [q.key for q in SYMPTOMS[symptom].follow_ups] == follow_ups
    for question in SYMPTOMS[symptom].follow_ups:
        assert question.follow_up is not None and "grade" in question.follow_up.criterion
        assert not question.required


# Nausea — CTCAE v5.0: 1 "Loss of appetite without alteration in eating habits"; 2 "Oral intake
# decreased without significant weight loss, dehydration or malnutrition"; 3 "Inadequate oral caloric
# or fluid intake; tube feeding, TPN, or hospitalization indicated"; no grade 4.
NAUSEA = {
    # (eating, hospital): grade for severity none, mild, moderate, severe
    (SKIP, SKIP): (0, 1, 2, 3),  # the contract's table
    (SKIP, False): (0, 1, 2, 3),  # eating not known: severe stays 3
    (SKIP, True): (3, 3, 3, 3),
    ("as_usual", SKIP): (0, 1, 2, 3),
    ("as_usual", False): (0, 1, 2, 2),  # the grade 3 criterion is explicitly absent
    ("as_usual", True): (3, 3, 3, 3),
    ("less", SKIP): (2, 2, 2, 3),
    ("less", False): (2, 2, 2, 2),
    ("less", True): (3, 3, 3, 3),
    ("too_little", SKIP): (3, 3, 3, 3),
    ("too_little", False): (3, 3, 3, 3),
    ("too_little", True): (3, 3, 3, 3),
}


@pytest.mark.parametrize(("eating", "hospital"), list(NAUSEA))
@pytest.mark.parametrize("severity", SEVERITIES)
def test_nausea_grade_for_every_combination_of_answers(severity: str, eating: str, hospital: object) -> None:
    expected = NAUSEA[(eating, hospital)][SEVERITIES.index(severity)]
    assert graded("nausea", answers_of(severity=severity, eating=eating, hospital=hospital)).grade == expected


# Vomiting — CTCAE v5.0: 1 "Intervention not indicated"; 2 "Outpatient IV hydration; medical
# intervention indicated"; 3 "Tube feeding, TPN, or hospitalization indicated"; 4 "Life-threatening
# consequences".
VOMITING = {
    # (hospital, danger_signs): grade for severity none, mild, moderate, severe
    (SKIP, SKIP): (0, 1, 2, 3),
    (SKIP, False): (0, 1, 2, 3),  # hospital not known: severe stays 3
    (SKIP, True): (4, 4, 4, 4),
    (False, SKIP): (0, 1, 2, 3),  # danger signs not known: severe stays 3
    (False, False): (0, 1, 2, 2),
    (False, True): (4, 4, 4, 4),
    (True, SKIP): (3, 3, 3, 3),
    (True, False): (3, 3, 3, 3),
    (True, True): (4, 4, 4, 4),
}


@pytest.mark.parametrize(("hospital", "danger_signs"), list(VOMITING))
@pytest.mark.parametrize("severity", SEVERITIES)
def test_vomiting_grade_for_every_combination_of_answers(severity: str, hospital: object, danger_signs: object) -> None:
    expected = VOMITING[(hospital, danger_signs)][SEVERITIES.index(severity)]
    answers = answers_of(severity=severity, hospital=hospital, danger_signs=danger_signs)
    assert graded("vomiting", answers).grade == expected


# Edema limbs — CTCAE v5.0: 2 "... limiting instrumental ADL"; 3 "... limiting self care ADL"; no
# grade 4. PRO-CTCAE agrees on the downgrade: severe swelling that interferes "not at all" or "a
# little bit" has composite grade 2 at every frequency (pro-ctcae_composite_grades.tsv).
EDEMA = {
    # limits_activities: grade for severity none, mild, moderate, severe
    SKIP: (0, 1, 2, 3),
    "no": (0, 1, 2, 2),
    "usual_tasks": (2, 2, 2, 2),
    "self_care": (3, 3, 3, 3),
}


@pytest.mark.parametrize("limits_activities", list(EDEMA))
@pytest.mark.parametrize("severity", SEVERITIES)
def test_edema_grade_for_every_combination_of_answers(severity: str, limits_activities: str) -> None:
    expected = EDEMA[limits_activities][SEVERITIES.index(severity)]
    assert graded("edema", answers_of(severity=severity, limits_activities=limits_activities)).grade == expected


# Constipation — CTCAE v5.0: 1 "Occasional or intermittent symptoms; occasional use of stool
# softeners, laxatives, dietary modification, or enema"; 2 "Persistent symptoms with regular use of
# laxatives or enemas; limiting instrumental ADL"; 3 "Obstipation with manual evacuation indicated;
# limiting self care ADL"; 4 "Life-threatening consequences; urgent intervention indicated".
CONSTIPATION = {
    # (laxatives, limits_activities): grade for severity none, mild, moderate, severe, when the danger
    # signs are answered "no"
    (SKIP, SKIP): (0, 1, 2, 3),
    (SKIP, "no"): (0, 1, 2, 3),
    (SKIP, "usual_tasks"): (2, 2, 2, 3),
    (SKIP, "self_care"): (3, 3, 3, 3),
    ("no", SKIP): (0, 1, 2, 3),
    ("no", "no"): (0, 1, 2, 2),
    ("no", "usual_tasks"): (2, 2, 2, 2),
    ("no", "self_care"): (3, 3, 3, 3),
    ("sometimes", SKIP): (1, 1, 2, 3),
    ("sometimes", "no"): (1, 1, 2, 2),
    ("sometimes", "usual_tasks"): (2, 2, 2, 2),
    ("sometimes", "self_care"): (3, 3, 3, 3),
    ("regularly", SKIP): (2, 2, 2, 3),
    ("regularly", "no"): (2, 2, 2, 2),
    ("regularly", "usual_tasks"): (2, 2, 2, 2),
    ("regularly", "self_care"): (3, 3, 3, 3),
    ("by_hand", SKIP): (3, 3, 3, 3),
    ("by_hand", "no"): (3, 3, 3, 3),
    ("by_hand", "usual_tasks"): (3, 3, 3, 3),
    ("by_hand", "self_care"): (3, 3, 3, 3),
}


@pytest.mark.parametrize(("laxatives", "limits_activities"), list(CONSTIPATION))
@pytest.mark.parametrize("severity", SEVERITIES)
@pytest.mark.parametrize("danger_signs", [False, SKIP, True])
def test_constipation_grade_for_every_combination_of_answers(
    severity: str, laxatives: str, limits_activities: str, danger_signs: object
) -> None:
    expected = CONSTIPATION[(laxatives, limits_activities)][SEVERITIES.index(severity)]
    if danger_signs is True:
        expected = 4
    elif danger_signs == SKIP and severity == "severe":
        expected = 3  # danger signs not known: severe is never lowered
    answers = answers_of(
        severity=severity, laxatives=laxatives, limits_activities=limits_activities, danger_signs=danger_signs
    )
    assert graded("constipation", answers).grade == expected


# Diarrhea — CTCAE v5.0: 1 "Increase of <4 stools per day over baseline"; 2 "Increase of 4 - 6
# stools per day over baseline; ... limiting instrumental ADL"; 3 "Increase of >=7 stools per day over
# baseline; hospitalization indicated; ... limiting self care ADL"; 4 "Life-threatening consequences;
# urgent intervention indicated". The stool count is itself a CTCAE criterion: never lowered.
STOOLS = (0, 1, 3, 4, 6, 7, 50)
DIARRHEA = {
    # (limits_activities, hospital): grade for each of STOOLS more stools than usual
    (SKIP, SKIP): (0, 1, 1, 2, 2, 3, 3),  # the contract's table
    (SKIP, False): (0, 1, 1, 2, 2, 3, 3),
    (SKIP, True): (3, 3, 3, 3, 3, 3, 3),
    ("no", SKIP): (0, 1, 1, 2, 2, 3, 3),
    ("no", False): (0, 1, 1, 2, 2, 3, 3),
    ("no", True): (3, 3, 3, 3, 3, 3, 3),
    ("usual_tasks", SKIP): (2, 2, 2, 2, 2, 3, 3),
    ("usual_tasks", False): (2, 2, 2, 2, 2, 3, 3),
    ("usual_tasks", True): (3, 3, 3, 3, 3, 3, 3),
    ("self_care", SKIP): (3, 3, 3, 3, 3, 3, 3),
    ("self_care", False): (3, 3, 3, 3, 3, 3, 3),
    ("self_care", True): (3, 3, 3, 3, 3, 3, 3),
}


@pytest.mark.parametrize(("limits_activities", "hospital"), list(DIARRHEA))
@pytest.mark.parametrize("stools", STOOLS)
@pytest.mark.parametrize("danger_signs", [False, SKIP, True])
def test_diarrhea_grade_for_every_combination_of_answers(
    stools: int, limits_activities: str, hospital: object, danger_signs: object
) -> None:
    expected = 4 if danger_signs is True else DIARRHEA[(limits_activities, hospital)][STOOLS.index(stools)]
    answers = answers_of(
        stools_above_usual=stools, limits_activities=limits_activities, hospital=hospital, danger_signs=danger_signs
    )
    assert graded("diarrhea", answers).grade == expected


def every_answer_set(symptom: str) -> list[dict[str, object]]:
    """Every combination of answers to the symptom's questions, each optional one also left out."""
    options: list[list[tuple[str, object]]] = []
    for question in SYMPTOMS[symptom].questions:
        if question.kind is Kind.COUNT:
            assert question.minimum is not None and question.maximum is not None
            values: list[object] = list(range(int(question.minimum), int(question.maximum) + 1))
        elif question.kind is Kind.YES_NO:
            values = [True, False]
        else:
            values = list(question.choices)
        if not question.required:
            values.append(SKIP)
        options.append([(question.key, value) for value in values])
    return [answers_of(**dict(combination)) for combination in itertools.product(*options)]


GRADED_BY_FOLLOW_UPS = ["nausea", "vomiting", "constipation", "edema", "diarrhea"]


@pytest.mark.parametrize(
    ("symptom", "ctcae_grades"),
    [
        ("nausea", {0, 1, 2, 3}),  # CTCAE v5.0 Nausea: grades 1-3 only
        ("vomiting", {0, 1, 2, 3, 4}),
        ("constipation", {0, 1, 2, 3, 4}),
        ("edema", {0, 1, 2, 3}),  # CTCAE v5.0 Edema limbs: grades 1-3 only
        ("diarrhea", {0, 1, 2, 3, 4}),
    ],
)
def test_every_ctcae_grade_of_the_term_is_reachable_and_no_other(symptom: str, ctcae_grades: set[int]) -> None:
    assert {graded(symptom, answers).grade for answers in every_answer_set(symptom)} == ctcae_grades


@pytest.mark.parametrize("symptom", GRADED_BY_FOLLOW_UPS)
def test_only_the_contracts_answers_give_exactly_the_contracts_grade(symptom: str) -> None:
    contract_keys = {q.key for q in SYMPTOMS[symptom].questions if q.follow_up is None}
    for answers in every_answer_set(symptom):
        if set(answers) <= contract_keys:
            assert graded(symptom, answers) == SYMPTOMS[symptom].grader(validate_answers(symptom, answers)[1])


@pytest.mark.parametrize("symptom", GRADED_BY_FOLLOW_UPS)
def test_a_worse_follow_up_answer_never_lowers_the_grade(symptom: str) -> None:
    for answers in every_answer_set(symptom):
        for question in SYMPTOMS[symptom].follow_ups:
            assert question.follow_up is not None
            if question.key not in answers:
                continue
            here = question.follow_up.grade_of(answers[question.key])
            for value, shows in question.follow_up.grades:
                if shows > here:
                    assert graded(symptom, answers | {question.key: value}).grade >= graded(symptom, answers).grade  # type: ignore[operator]


@pytest.mark.parametrize("symptom", ["nausea", "vomiting", "constipation", "edema"])
def test_severe_becomes_grade_2_only_when_every_follow_up_that_could_show_grade_3_says_no(symptom: str) -> None:
    deciding = [q for q in SYMPTOMS[symptom].follow_ups if q.follow_up is not None and q.follow_up.can_show >= 3]
    for answers in every_answer_set(symptom):
        if answers["severity"] != "severe":
            continue
        ruled_out = all(
            q.key in answers and q.follow_up is not None and q.follow_up.grade_of(answers[q.key]) < 3 for q in deciding
        )
        assert (graded(symptom, answers).grade == 2) is ruled_out


def test_grade_4_comes_only_from_the_danger_signs() -> None:
    # The patient's signs of CTCAE's "Life-threatening consequences": fainting, confusion, no fluid
    # kept down at all.
    for symptom in ("nausea", "edema"):
        assert all(q.key != "danger_signs" for q in SYMPTOMS[symptom].questions)  # CTCAE: no grade 4
    assert graded("vomiting", {"severity": "severe", "hospital": True}).grade == 3
    assert graded("vomiting", {"severity": "none", "danger_signs": True}).grade == 4


@pytest.mark.parametrize(
    ("symptom", "answers", "flags"),
    [
        (
            "vomiting",
            {"severity": "severe", "danger_signs": True, "hospital": True},
            {"danger_signs", "hospitalization"},
        ),
        ("nausea", {"severity": "moderate", "eating": "too_little"}, {"inadequate_oral_intake"}),
        ("nausea", {"severity": "moderate", "eating": "less"}, {"eating_less"}),
        ("constipation", {"severity": "severe", "laxatives": "by_hand"}, {"manual_evacuation"}),
        ("constipation", {"severity": "mild", "laxatives": "regularly"}, {"regular_laxatives"}),
        ("constipation", {"severity": "mild", "laxatives": "sometimes"}, set()),
        ("edema", {"severity": "severe", "limits_activities": "self_care"}, {"limits_self_care"}),
        ("diarrhea", {"stools_above_usual": 2, "limits_activities": "usual_tasks"}, {"limits_instrumental_ADL"}),
        ("diarrhea", {"stools_above_usual": 2, "limits_activities": "no", "hospital": False}, set()),
    ],
)
def test_a_follow_up_that_shows_grade_2_or_worse_is_named_for_the_nurse(
    symptom: str, answers: dict[str, object], flags: set[str]
) -> None:
    assert graded(symptom, answers).flags == frozenset(flags)


@pytest.mark.parametrize(
    ("symptom", "key", "value", "message"),
    [
        ("nausea", "eating", "a bit", "Must be one of: as_usual, less, too_little."),
        ("nausea", "hospital", "yes", "Must be true or false."),
        ("vomiting", "danger_signs", 1, "Must be true or false."),
        ("constipation", "laxatives", True, "Must be one of: no, sometimes, regularly, by_hand."),
        ("edema", "limits_activities", "self care", "Must be one of: no, usual_tasks, self_care."),
        ("diarrhea", "hospital", "false", "Must be true or false."),
    ],
)
def test_a_follow_up_of_the_wrong_type_is_refused_with_its_reason(
    symptom: str, key: str, value: object, message: str
) -> None:
    contract = {"stools_above_usual": 3} if symptom == "diarrhea" else {"severity": "severe"}
    assert errors_of(symptom, contract | {key: value}) == {f"answers.{key}": [message]}


def test_a_follow_up_sent_as_null_counts_as_unanswered() -> None:
    assert validate_answers("vomiting", {"severity": "severe", "hospital": None})[1] == {"severity": "severe"}
    assert grade("vomiting", severity="severe", hospital=None, danger_signs=False) == 3


def test_a_follow_up_of_another_symptom_is_refused() -> None:
    assert list(errors_of("edema", {"severity": "mild", "eating": "less"})) == ["answers.eating"]


# ---- which follow-ups the phone asks --------------------------------------------------------------


@pytest.mark.parametrize("symptom", ["nausea", "vomiting", "constipation", "edema"])
@pytest.mark.parametrize(
    ("severity", "asked"), [("none", False), ("mild", False), ("moderate", True), ("severe", True)]
)
def test_the_follow_ups_are_asked_after_moderate_or_severe(symptom: str, severity: str, asked: bool) -> None:
    keys = [q.key for q in SYMPTOMS[symptom].asked({"severity": severity})]
    follow_ups = [q.key for q in SYMPTOMS[symptom].follow_ups]
    assert keys == ["severity", *follow_ups] if asked else keys == ["severity"]


@pytest.mark.parametrize(("stools", "asked"), [(0, False), (1, True), (7, True)])
def test_the_diarrhea_follow_ups_are_asked_once_there_is_any_diarrhea(stools: int, asked: bool) -> None:
    keys = [q.key for q in SYMPTOMS["diarrhea"].asked({"stools_above_usual": stools})]
    assert len(keys) == (4 if asked else 1)


def test_before_any_answer_only_the_contracts_questions_are_asked() -> None:
    for symptom in SYMPTOMS.values():
        assert all(q.follow_up is None for q in symptom.asked({}))


@pytest.mark.parametrize("symptom", GRADED_BY_FOLLOW_UPS)
def test_the_server_regrading_stored_answers_gets_the_phones_grade(symptom: str) -> None:
    # The phone grades the answers it checked; the server stores them as JSON and grades the stored
    # copy (backend.records.services, backend.alerts.grading): both through grade_symptom.
    for answers in every_answer_set(symptom):
        key, clean = validate_answers(symptom, answers)
        stored = json.loads(json.dumps(clean))
        assert grade_symptom(key.key, stored) == grade_symptom(key.key, clean)


@st.composite
def spelled_answers(draw: st.DrawFn, symptom: str) -> dict[str, object]:
    """Valid answers as a phone may spell them: any optional one left out, choices in any case with
    spaces, counts as floats."""
    answers: dict[str, object] = {}
    for question in SYMPTOMS[symptom].questions:
        if not question.required and draw(st.booleans()):
            continue
        if question.kind is Kind.YES_NO:
            answers[question.key] = draw(st.booleans())
        elif question.kind is Kind.CHOICE:
            choice = draw(st.sampled_from(question.choices))
            answers[question.key] = draw(st.sampled_from([choice, choice.upper(), f" {choice.title()} "]))
        elif question.kind is Kind.COUNT:
            count = draw(st.integers(0, 50))
            answers[question.key] = draw(st.sampled_from([count, float(count)]))
        else:
            answers[question.key] = draw(st.sampled_from([35, 37.5, 38, 40.1]))
    return answers


@settings(max_examples=500, deadline=None)
@given(data=st.data(), symptom=st.sampled_from(sorted(SYMPTOMS)))
def test_however_the_phone_spells_the_answers_the_server_grades_its_stored_copy_alike(
    data: st.DataObject, symptom: str
) -> None:
    answers = data.draw(spelled_answers(symptom))
    key, clean = validate_answers(symptom, answers)
    on_phone = grade_symptom(key.key, clean)
    stored = json.loads(json.dumps(clean, default=str))  # backend.records stores a Decimal as text
    if "temperature_c" in stored:
        stored["temperature_c"] = Decimal(stored["temperature_c"])  # as backend.alerts.grading reads it
    assert grade_symptom(key.key, stored) == on_phone
    assert validate_answers(symptom, clean)[1] == clean  # checking again changes nothing
    canonical = {k: v.strip().lower() if isinstance(v, str) else v for k, v in answers.items()}
    assert grade_symptom(key.key, validate_answers(symptom, canonical)[1]) == on_phone
