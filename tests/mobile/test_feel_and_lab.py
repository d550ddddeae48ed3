"""How do you feel and Add a lab result: the shared questions and checks, the grade and the advice
at once, and what is saved."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest

from mobile import strings as S
from mobile.journal import Journal
from mobile.presenters import feel, lab
from mobile.presenters.feel import FeelPresenter
from mobile.presenters.lab import LabPresenter
from mobile.presenters.outcome import parse_number
from mobile.store import Store
from shared.alert_policy import DEFAULT_POLICY, evaluate_symptom
from shared.symptoms import SYMPTOMS, Kind, grade_symptom, validate_answers
from tests.mobile.conftest import NOW

# ---- how do you feel ---------------------------------------------------------------------------


def test_every_contract_symptom_is_offered_with_its_shared_questions() -> None:
    assert [key for key, _ in feel.symptoms()] == list(SYMPTOMS)
    rash = feel.questions("rash")
    assert [q.key for q in rash] == ["body_area", "symptoms", "limits_self_care", "blisters_or_peeling"]
    assert [o.label for o in rash[0].options] == [
        "No rash",
        "A small patch (less than a tenth)",
        "A tenth to a third",
        "More than a third",
    ]
    assert [(o.value, o.label) for o in rash[3].options] == [(True, "Yes"), (False, "No")]
    assert feel.questions("diarrhea")[0].kind == feel.COUNT and feel.questions("fever")[0].kind == feel.NUMBER


def test_nothing_is_said_until_the_required_answers_are_in(journal: Journal) -> None:
    result = FeelPresenter(journal).evaluate("nausea", feel.initial_answers("nausea"), NOW)
    assert result.outcome is None and result.problem == ""


def test_seven_more_stools_is_urgent_grade_3_and_holds_ixazomib(journal: Journal) -> None:
    answers = feel.initial_answers("diarrhea") | {"stools_above_usual": 7}
    outcome = FeelPresenter(journal).evaluate("diarrhea", answers, NOW).outcome
    assert outcome is not None
    assert (outcome.level, outcome.headline, outcome.grade_text) == (
        "urgent",
        "Urgent: Grade 3 diarrhea",
        "Grade 3 of 4 (severe)",
    )
    assert outcome.hold_drugs == ("ixazomib",) and not outcome.call


def test_mild_nausea_is_no_alert_with_plain_advice(journal: Journal) -> None:
    outcome = FeelPresenter(journal).evaluate("nausea", {"severity": "mild"}, NOW).outcome
    assert outcome is not None
    assert (outcome.level, outcome.headline, outcome.advice) == ("ok", S.SEVERITY_OK, S.FEEL_NO_ALERT)


def test_a_rash_with_blisters_is_an_emergency_with_the_call_button(journal: Journal) -> None:
    answers = feel.initial_answers("rash") | {"body_area": "under_10", "blisters_or_peeling": True}
    outcome = FeelPresenter(journal).evaluate("rash", answers, NOW).outcome
    assert outcome is not None and outcome.level == "critical" and outcome.call
    assert outcome.headline == "Emergency: Rash with blisters or peeling"
    assert outcome.advice.startswith("Call your care team now.")


# ---- the CTCAE follow-ups ---------------------------------------------------------------------------


@pytest.mark.parametrize(("severity", "shown"), [("mild", []), ("moderate", ["hospital", "danger_signs"])])
def test_the_follow_ups_appear_only_once_the_severity_makes_them_matter(severity: str, shown: list[str]) -> None:
    questions = feel.questions("vomiting", {"severity": severity})
    assert [q.key for q in questions] == ["severity", *shown]
    assert [q.key for q in questions if q.follow_up] == shown
    assert [q.key for q in feel.questions("vomiting")] == ["severity"]


def test_the_follow_ups_are_asked_in_plain_words() -> None:
    texts = {
        q.key: (q.text, [o.label for o in q.options]) for q in feel.questions("constipation", {"severity": "severe"})
    }
    assert texts["danger_signs"] == (
        "Did you faint, become confused, or could you not keep any fluid down at all?",
        ["Yes", "No"],
    )
    assert texts["limits_activities"][1] == [
        "No",
        "Yes: cooking, shopping, housework, phoning or handling money",
        "Yes: even washing, dressing, eating or using the toilet",
    ]


def test_the_follow_ups_start_unanswered_so_skipping_them_keeps_the_contracts_grade(journal: Journal) -> None:
    assert feel.initial_answers("vomiting") == {}
    assert feel.initial_answers("diarrhea") == {"stools_above_usual": 0}
    assert feel.initial_answers("peripheral_neuropathy") == {"pain": False, "limits_self_care": False}
    outcome = FeelPresenter(journal).evaluate("vomiting", {"severity": "severe"}, NOW).outcome
    assert outcome is not None
    assert (outcome.level, outcome.grade_text, outcome.hold_drugs) == ("urgent", "Grade 3 of 4 (severe)", ("ixazomib",))


def test_severe_vomiting_without_hospital_or_danger_signs_is_grade_2_and_no_alert(journal: Journal) -> None:
    answers = {"severity": "severe", "hospital": False, "danger_signs": False}
    outcome = FeelPresenter(journal).evaluate("vomiting", answers, NOW).outcome
    assert outcome is not None
    assert (outcome.level, outcome.grade_text, outcome.hold_drugs) == ("ok", "Grade 2 of 4 (moderate)", ())


def test_danger_signs_make_it_grade_4_with_the_call_button(journal: Journal) -> None:
    answers = {"stools_above_usual": 3, "danger_signs": True}
    outcome = FeelPresenter(journal).evaluate("diarrhea", answers, NOW).outcome
    assert outcome is not None and outcome.call
    assert (outcome.level, outcome.headline, outcome.grade_text) == (
        "critical",
        "Emergency: Grade 4 diarrhea",
        "Grade 4 of 4 (life-threatening)",
    )
    assert outcome.advice.startswith("Call your care team now.")


def test_an_answer_to_a_follow_up_no_longer_shown_is_not_counted_nor_sent(journal: Journal, store: Store) -> None:
    # Severe, then "could not keep fluids down", then the patient corrects severe to mild.
    answers = {"severity": "mild", "danger_signs": True}
    presenter = FeelPresenter(journal)
    outcome = presenter.evaluate("vomiting", answers, NOW).outcome
    assert outcome is not None and (outcome.level, outcome.grade_text) == ("ok", "Grade 1 of 4 (mild)")
    presenter.save("vomiting", answers, NOW)
    [entry] = store.entries("symptom_reports")
    assert entry.item["answers"] == {"severity": "mild"}


def _shown_answer_sets(symptom: str) -> list[dict[str, object]]:
    """Every set of answers the screen can send: the follow-ups answered or not, when shown."""
    contract, *follow_ups = SYMPTOMS[symptom].questions
    firsts = (
        [{contract.key: n} for n in range(51)]
        if contract.kind is Kind.COUNT
        else [{contract.key: c} for c in contract.choices]
    )
    found = []
    for first in firsts:
        shown = [q for q in follow_ups if q in SYMPTOMS[symptom].asked(first)]
        options = [[None, *(q.choices or (True, False))] for q in shown]
        for values in itertools.product(*options):
            found.append(first | {q.key: v for q, v in zip(shown, values, strict=True) if v is not None})
    return found


@pytest.mark.parametrize("symptom", ["nausea", "vomiting", "constipation", "edema", "diarrhea"])
def test_the_phone_shows_the_grade_and_alert_the_server_computes_for_every_answer_set(
    symptom: str, journal: Journal
) -> None:
    presenter = FeelPresenter(journal)
    for answers in _shown_answer_sets(symptom):
        outcome = presenter.evaluate(symptom, answers, NOW).outcome
        server_grade = grade_symptom(symptom, validate_answers(symptom, answers)[1])
        alert = evaluate_symptom(DEFAULT_POLICY, symptom, server_grade)
        assert outcome is not None and outcome.grade_text == S.grade_line(server_grade.grade or 0)
        assert outcome.level == (alert.severity.value if alert else "ok")
        assert outcome.hold_drugs == (alert.hold_drugs if alert else ())


def test_a_temperature_is_typed_with_a_comma_or_a_point(journal: Journal, store: Store) -> None:
    presenter = FeelPresenter(journal)
    day_10 = NOW - timedelta(days=5)  # outside days 14-21, where a fever with no recent ANC is critical
    outcome = presenter.evaluate("fever", {"temperature_c": "38,4"}, day_10).outcome
    assert outcome is not None and outcome.grade_text == "38.4 °C" and outcome.level == "urgent"
    assert presenter.evaluate("fever", {"temperature_c": "hot"}, NOW).problem == S.LAB_NOT_A_NUMBER
    assert presenter.evaluate("fever", {"temperature_c": "45"}, NOW).problem == "Must be between 35 and 43."
    saved = presenter.save("fever", {"temperature_c": "37.2"}, NOW)
    assert saved.level == "ok" and saved.advice == S.FEEL_FEVER_OK
    [entry] = store.entries("symptom_reports")
    assert entry.item["answers"] == {"temperature_c": 37.2}


def test_numbers_are_read_as_people_type_them() -> None:
    assert [parse_number(t) for t in ("42", " 9,5 ", "1 000", "4.2.1", "", "nan", "x")] == [
        42,
        parse_number("9.5"),
        1000,
        None,
        None,
        None,
        None,
    ]


# ---- add a lab result ----------------------------------------------------------------------------


def test_platelets_anc_and_hemoglobin_come_first_with_the_units_labs_print() -> None:
    assert [k for k, _ in lab.analytes()][:3] == ["platelets", "anc", "hemoglobin"]
    assert lab.units("platelets") == [("K/uL", "K/µL"), ("10^9/L", "×10⁹/L"), ("/uL", "/µL")]


def test_the_default_unit_is_the_one_this_patient_used_last(store: Store, journal: Journal) -> None:
    presenter = LabPresenter(store, journal)
    assert presenter.default_unit("platelets") == "K/uL"
    presenter.check("platelets", "180", "10^9/L", NOW, save=True)
    assert presenter.default_unit("platelets") == "10^9/L"
    assert presenter.default_unit("anc") == "K/uL"


def test_the_factor_of_1000_mix_up_suggests_the_unit_meant(store: Store, journal: Journal) -> None:
    check = LabPresenter(store, journal).check("platelets", "42", "/uL", NOW, save=True)
    assert not check.ok
    assert check.problem == "42 /µL is far too low for platelets. Did you mean 42 K/µL?"
    assert (check.suggested_unit, check.suggested_label) == ("K/uL", "K/µL")
    assert store.pending_count() == 0


def test_hemoglobin_in_the_wrong_unit_is_refused_with_the_possible_range(store: Store, journal: Journal) -> None:
    check = LabPresenter(store, journal).check("hemoglobin", "95", "g/dL", NOW, save=False)
    assert not check.ok and check.suggested_unit == "g/L"
    assert "possible: 2 to 25 g/dL" in check.problem


def test_a_grade_4_count_is_an_emergency_before_and_after_saving(store: Store, journal: Journal) -> None:
    presenter = LabPresenter(store, journal)
    preview = presenter.check("platelets", "18", "K/uL", NOW, save=False)
    assert preview.ok and preview.outcome is not None and preview.outcome.call and preview.entry_id == ""
    assert store.pending_count() == 0
    saved = presenter.check("platelets", "18", "K/uL", NOW, save=True)
    assert saved.outcome == preview.outcome and store.entry(saved.entry_id) is not None


def test_a_normal_value_says_so_and_text_that_is_not_a_number_is_explained(store: Store, journal: Journal) -> None:
    presenter = LabPresenter(store, journal)
    normal = presenter.check("platelets", "220", "K/uL", NOW, save=False).outcome
    assert normal is not None and (normal.level, normal.advice) == ("ok", S.LAB_IN_RANGE)
    low = presenter.check("platelets", "120", "K/uL", NOW, save=False).outcome
    assert low is not None and (low.grade_text, low.advice) == ("Grade 1 of 4 (mild)", S.LAB_OUT_NO_ALERT)
    assert presenter.check("platelets", "forty", "K/uL", NOW, save=False).problem == S.LAB_NOT_A_NUMBER


def test_a_result_dated_in_the_future_is_refused_in_the_servers_words(store: Store, journal: Journal) -> None:
    check = LabPresenter(store, journal).check("platelets", "180", "K/uL", NOW + timedelta(days=1), save=True)
    assert (check.ok, check.problem) == (False, "Is in the future.")
