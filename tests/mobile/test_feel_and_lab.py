"""How do you feel and Add a lab result: the shared questions and checks, the grade and the advice
at once, and what is saved."""

from __future__ import annotations

from datetime import timedelta

from mobile import strings as S
from mobile.journal import Journal
from mobile.presenters import feel, lab
from mobile.presenters.feel import FeelPresenter
from mobile.presenters.lab import LabPresenter
from mobile.presenters.outcome import parse_number
from mobile.store import Store
from shared.symptoms import SYMPTOMS
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


def test_a_temperature_is_typed_with_a_comma_or_a_point(journal: Journal, store: Store) -> None:
    presenter = FeelPresenter(journal)
    outcome = presenter.evaluate("fever", {"temperature_c": "38,4"}, NOW).outcome
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
