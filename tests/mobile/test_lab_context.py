"""The patient's sex and baselines on the phone: the sync answer's `lab_context` is kept, and new
entries are graded with it at once, offline, as the server will grade them (creatinine 2.11 mg/dL
over a baseline of 0.7 is grade 3 and holds ixazomib on the phone too). And a very low count per µL
is saved, alerted as grade 4, and the patient asked to check the unit."""

from __future__ import annotations

from typing import Any

import pytest

from mobile.api import Unreachable
from mobile.journal import Journal
from mobile.presenters.lab import LabPresenter
from mobile.store import Store
from mobile.sync import SyncEngine
from shared.analytes import Sex
from tests.mobile.conftest import NOW, Clock
from tests.mobile.test_sync import ScriptedApi

CONTEXT = {
    "sex": "male",
    "baselines": {
        "creatinine": {"value": 0.7, "unit": "mg/dL", "reference_high": None, "on": "2026-10-30", "source": "lab"},
        "alt": {"value": 100, "unit": "U/L", "reference_high": None, "on": None, "source": "entered"},
    },
}


class ContextApi(ScriptedApi):
    """The scripted server, with a lab context in its answer (`None`: an older server, no field)."""

    def __init__(self) -> None:
        super().__init__()
        self.lab_context: Any = CONTEXT

    def sync(self, body: Any) -> dict[str, Any]:
        answer = super().sync(body)
        return answer if self.lab_context is None else {**answer, "lab_context": self.lab_context}


@pytest.fixture
def api() -> ContextApi:
    return ContextApi()


@pytest.fixture
def engine(store: Store, api: ContextApi, clock: Clock) -> SyncEngine:
    return SyncEngine(store, api, now=clock)


def offline_after_a_sync(engine: SyncEngine, api: ContextApi, context: Any = CONTEXT) -> None:
    api.lab_context = context
    engine.sync_once()
    api.failures.append(Unreachable("no signal"))


def test_creatinine_over_its_baseline_is_grade_3_and_holds_ixazomib_offline(
    store: Store, journal: Journal, engine: SyncEngine, api: ContextApi
) -> None:
    offline_after_a_sync(engine, api)
    result = journal.check_lab("creatinine", 2.11, "mg/dL", NOW)
    assert result.grade.grade == 3 and "baseline" in result.grade.rule
    assert result.alert is not None and result.alert.hold_drugs == ("ixazomib",)


def test_alt_over_an_abnormal_baseline_is_grade_1_without_an_alert(
    journal: Journal, engine: SyncEngine, api: ContextApi
) -> None:
    offline_after_a_sync(engine, api)
    result = journal.check_lab("alt", 201, "U/L", NOW)
    assert (result.grade.grade, result.alert) == (1, None)


@pytest.mark.parametrize(("sex", "grade"), [(Sex.FEMALE, 0), (Sex.MALE, 1)])
def test_the_recorded_sex_picks_the_hemoglobin_lln(
    journal: Journal, engine: SyncEngine, api: ContextApi, sex: Sex, grade: int
) -> None:
    offline_after_a_sync(engine, api, {**CONTEXT, "sex": sex.value})
    assert journal.lab_context.sex is sex
    assert journal.check_lab("hemoglobin", 13, "g/dL", NOW).grade.grade == grade


@pytest.mark.parametrize("context", [None, "nonsense", {"sex": 3, "baselines": [1]}])
def test_without_a_readable_context_the_phone_grades_by_the_uln_alone(
    journal: Journal, engine: SyncEngine, api: ContextApi, context: Any
) -> None:
    offline_after_a_sync(engine, api, context)
    assert journal.check_lab("alt", 201, "U/L", NOW).grade.grade == 3
    assert journal.lab_context.baselines == {}


def test_before_the_first_sync_there_is_no_context(journal: Journal) -> None:
    assert journal.check_lab("creatinine", 2.11, "mg/dL", NOW).grade.grade == 2  # > 1.5 x ULN 1.04


def test_a_very_low_anc_per_ul_is_saved_alerted_as_grade_4_and_the_unit_questioned(
    store: Store, journal: Journal
) -> None:
    check = LabPresenter(store, journal).check("anc", "10", "/uL", NOW, save=True)
    assert check.ok and check.entry_id
    assert (check.suggested_unit, check.suggested_label) == ("K/uL", "K/µL")
    assert "Check the unit on your lab report" in check.unit_check and "K/µL" in check.unit_check
    assert check.outcome is not None
    saved = store.entry(check.entry_id)
    assert saved is not None and saved.local_alert is not None
    assert (saved.local_alert["grade"], saved.local_alert["severity"]) == (4, "critical")


def test_an_anc_of_400_per_ul_raises_no_unit_question(store: Store, journal: Journal) -> None:
    check = LabPresenter(store, journal).check("anc", "400", "/uL", NOW, save=False)
    assert check.ok and check.unit_check == "" and check.suggested_unit == ""
