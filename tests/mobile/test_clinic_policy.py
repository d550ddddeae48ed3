"""The clinic's alert policy on the phone: the sync answer's `alert_policy` is kept, and new entries
are evaluated with it at once, offline, so a stricter clinic's advice is never milder on the phone
than the alert its server will raise. Before the first sync, or without one, the default."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from mobile import strings as S
from mobile.api import Unreachable
from mobile.journal import Journal
from mobile.presenters import feel
from mobile.presenters.feel import FeelPresenter
from mobile.presenters.lab import LabPresenter
from mobile.store import Store
from mobile.sync import SyncEngine
from shared.alert_policy import DEFAULT_POLICY
from tests.mobile.conftest import NOW, Clock
from tests.mobile.test_sync import ScriptedApi

# Alerts on grade 2 platelets (70 ×10^9/L) and grade 2 diarrhea (4 stools), and from 37.5 °C.
STRICTER = {
    "labs": {"platelets": {"min_grade": 2}},
    "symptoms": {"diarrhea": {"min_grade": 2}},
    "fever": {"threshold_c": 37.5},
}


class PolicyApi(ScriptedApi):
    """The scripted server, with a clinic policy in its answer (`None`: an older server, no field)."""

    def __init__(self) -> None:
        super().__init__()
        self.alert_policy: Any = {}

    def sync(self, body: Any) -> dict[str, Any]:
        answer = super().sync(body)
        return answer if self.alert_policy is None else {**answer, "alert_policy": self.alert_policy}


@pytest.fixture
def api() -> PolicyApi:
    return PolicyApi()


@pytest.fixture
def engine(store: Store, api: PolicyApi, clock: Clock) -> SyncEngine:
    return SyncEngine(store, api, now=clock)


def offline_after_a_sync(engine: SyncEngine, api: PolicyApi, policy: Any) -> None:
    api.alert_policy = policy
    engine.sync_once()
    api.failures.append(Unreachable("no signal"))  # from here on the phone is on its own


def platelets_70(store: Store, journal: Journal, *, save: bool = False) -> Any:
    return LabPresenter(store, journal).check("platelets", "70", "10^9/L", NOW, save=save)


def test_before_the_first_sync_the_phone_uses_the_default(store: Store, journal: Journal) -> None:
    outcome = platelets_70(store, journal).outcome

    assert journal.policy is DEFAULT_POLICY
    assert outcome is not None and (outcome.level, outcome.advice) == ("ok", S.LAB_OUT_NO_ALERT)


def test_after_a_stricter_policy_arrived_a_grade_2_count_alerts_at_once_offline(
    engine: SyncEngine, api: PolicyApi, store: Store, journal: Journal
) -> None:
    offline_after_a_sync(engine, api, STRICTER)

    preview = platelets_70(store, journal).outcome
    saved = platelets_70(store, journal, save=True)

    assert preview is not None and preview.level == "urgent" and preview.advice != S.LAB_OUT_NO_ALERT
    assert "care team" in preview.advice and preview.grade_text == "Grade 2 of 4 (moderate)"
    assert saved.outcome == preview
    entry = store.entry(saved.entry_id)
    assert entry is not None and entry.local_alert is not None and entry.local_alert["kind"] == "thrombocytopenia"


def test_after_a_stricter_policy_arrived_symptoms_alert_on_it_too(
    engine: SyncEngine, api: PolicyApi, journal: Journal
) -> None:
    offline_after_a_sync(engine, api, STRICTER)
    presenter = FeelPresenter(journal)

    diarrhea = presenter.evaluate("diarrhea", feel.initial_answers("diarrhea") | {"stools_above_usual": 4}, NOW)
    # Day 10: on days 14-21 a fever with no recent ANC would be critical (the nadir-window precaution).
    fever = presenter.evaluate("fever", {"temperature_c": "37.6"}, NOW - timedelta(days=5))

    assert diarrhea.outcome is not None and diarrhea.outcome.level == "urgent"
    assert diarrhea.outcome.hold_drugs == ()  # the clinic alerts earlier; the label still holds from grade 3
    assert fever.outcome is not None and fever.outcome.level == "urgent"


def test_a_default_clinic_keeps_the_default(engine: SyncEngine, api: PolicyApi, store: Store, journal: Journal) -> None:
    offline_after_a_sync(engine, api, {})

    outcome = platelets_70(store, journal).outcome

    assert journal.policy == DEFAULT_POLICY
    assert outcome is not None and outcome.level == "ok"


def test_the_clinic_going_back_to_the_defaults_reaches_the_phone(
    engine: SyncEngine, api: PolicyApi, store: Store, journal: Journal
) -> None:
    api.alert_policy = STRICTER
    engine.sync_once()
    assert journal.policy.labs["platelets"].alert.min_grade == 2

    api.alert_policy = {}
    engine.sync_once()

    assert journal.policy == DEFAULT_POLICY


def test_an_answer_without_a_policy_keeps_the_last_one(
    engine: SyncEngine, api: PolicyApi, store: Store, journal: Journal
) -> None:
    api.alert_policy = STRICTER
    engine.sync_once()

    api.alert_policy = None  # an older server, or a proxy that dropped it
    engine.sync_once()

    assert journal.policy.labs["platelets"].alert.min_grade == 2


@pytest.mark.parametrize(
    "stored",
    ['{"labs": {"platelets": {"min_grade": 4}}}', "[1, 2]", "not json at all", '"text"'],
    ids=["looser", "a-list", "not-json", "a-string"],
)
def test_a_stored_policy_the_phone_cannot_read_is_the_default(store: Store, journal: Journal, stored: str) -> None:
    store.put("alert_policy", stored)

    assert journal.policy == DEFAULT_POLICY
    assert platelets_70(store, journal).outcome is not None


def test_a_policy_that_loosens_anything_never_reaches_the_phone(
    engine: SyncEngine, api: PolicyApi, journal: Journal
) -> None:
    api.alert_policy = {"labs": {"platelets": {"min_grade": 4}}, "fever": {"threshold_c": 40}}
    engine.sync_once()

    assert journal.policy == DEFAULT_POLICY


def test_signing_out_forgets_the_clinics_policy(
    engine: SyncEngine, api: PolicyApi, store: Store, journal: Journal
) -> None:
    api.alert_policy = STRICTER
    engine.sync_once()

    store.wipe()

    assert journal.policy is DEFAULT_POLICY


def test_a_fixed_policy_given_to_the_journal_wins(store: Store, clock: Clock) -> None:
    store.put_json("alert_policy", STRICTER)

    assert Journal(store, now=clock, policy=DEFAULT_POLICY).policy is DEFAULT_POLICY


@pytest.mark.parametrize(
    ("policy", "level"), [({}, "urgent"), ({"fever": {"nadir_no_anc_critical": True}}, "critical")]
)
def test_a_clinic_that_makes_the_nadir_fever_critical_is_critical_on_the_phone_too(
    engine: SyncEngine, api: PolicyApi, journal: Journal, policy: dict[str, Any], level: str
) -> None:
    offline_after_a_sync(engine, api, policy)

    # Day 15 (the nadir window), no ANC on the phone: as the server judges it (test_fever_nadir.py).
    fever = FeelPresenter(journal).evaluate("fever", {"temperature_c": "38.4"}, NOW)

    assert fever.outcome is not None and fever.outcome.level == level
