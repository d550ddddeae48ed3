"""'Is my treatment working?' without Kivy: the response the last sync kept, in the patient's own
words, with the tracked marker as a simple trend; and the sync keeping it for offline use."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from mobile import strings as S
from mobile.api import ApiClient
from mobile.journal import Journal
from mobile.presenters.banners import response_test_banner
from mobile.presenters.lab import LabPresenter, analytes, units
from mobile.presenters.response import ResponsePresenter
from mobile.store import Store
from mobile.sync import SyncEngine
from tests.mobile.conftest import NOW
from tests.mobile.fake_server import TOKEN, FakeServer, FakeState


def _answer(**changes: Any) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "measurable_by": "serum",
        "involved_chain": None,
        "baseline": {"date": "2026-10-30", "values": {"serum_m_protein": 2.5}},
        "current": {"category": "PR", "confirmed": True, "since": "2026-11-27"},
        "best": {"category": "PR", "confirmed": True, "since": "2026-11-27"},
        "assessments": [
            {"date": "2026-11-27", "category": "PR", "confirmed": False, "values": {"serum_m_protein": 1.1}},
            {"date": "2026-12-18", "category": "PR", "confirmed": True, "values": {"serum_m_protein": 0.9}},
        ],
    }
    answer.update(changes)
    return answer


def _keep(store: Store, answer: Any) -> None:
    store.put_many({"response": json.dumps(answer), "response_fetched_at": NOW.isoformat()})


def test_a_confirmed_partial_response_in_the_patients_words(store: Store) -> None:
    _keep(store, _answer())
    view = ResponsePresenter(store).view(NOW)
    assert view.headline == "Your M-protein has fallen 64% since you started."
    assert view.status == "Your care team calls this a partial response, confirmed on 18 Dec."
    assert view.level == "ok"
    assert view.as_of == "From your last sync: today 19:30. Works offline."
    assert view.chart is not None
    assert [p.label for p in view.chart.points] == ["2.5", "1.1", "0.9"]
    assert view.chart.points[0].x == 0 and view.chart.points[-1].x == 1
    assert view.chart.latest == "Latest: 0.9 g/dL, 18 Dec"


def test_a_response_not_yet_confirmed_says_the_next_test_confirms_it(store: Store) -> None:
    answer = _answer(current={"category": "VGPR", "confirmed": False, "since": "2026-12-18"})
    answer["assessments"][-1] |= {"category": "VGPR", "values": {"serum_m_protein": 0.2}}
    _keep(store, answer)
    view = ResponsePresenter(store).view(NOW)
    assert view.headline == "Your M-protein has fallen 92% since you started."
    assert (
        view.status
        == "Your latest test, on 18 Dec, looks like a very good partial response. The next test will confirm it."
    )
    assert view.level == "info"


def test_progression_is_said_plainly_with_what_happens_next(store: Store) -> None:
    answer = _answer(current={"category": "PD", "confirmed": False, "since": "2026-12-18"})
    answer["assessments"][-1] |= {"category": "PD", "values": {"serum_m_protein": 3.0}}
    _keep(store, answer)
    view = ResponsePresenter(store).view(NOW)
    assert view.headline == "Your M-protein has gone up from its lowest, 1.1 g/dL, to 3 g/dL."
    assert (view.status, view.level) == (S.RESPONSE_PROGRESSION, "urgent")


def test_flc_only_disease_tracks_the_light_chain_difference_from_the_baseline_chains(store: Store) -> None:
    answer = _answer(
        measurable_by="flc",
        involved_chain="lambda",
        baseline={"date": "2026-10-30", "values": {"kappa_flc": 6, "lambda_flc": 406}},
        assessments=[{"date": "2026-11-27", "category": "PR", "confirmed": False, "values": {"dflc": 150}}],
        current={"category": "PR", "confirmed": False, "since": "2026-11-27"},
    )
    _keep(store, answer)
    view = ResponsePresenter(store).view(NOW)
    assert view.headline == "Your free light chain difference has fallen 62% since you started."


def test_before_any_result_and_without_measurable_disease_it_says_so(store: Store) -> None:
    assert ResponsePresenter(store).view(NOW).empty == S.RESPONSE_EMPTY  # never synced: nothing kept
    _keep(store, _answer(measurable_by=None))
    view = ResponsePresenter(store).view(NOW)
    assert (view.empty, view.chart, view.headline) == (S.RESPONSE_NOT_EVALUABLE, None, "")


def test_every_category_is_explained_and_the_caveats_are_there(store: Store) -> None:
    _keep(store, _answer())
    view = ResponsePresenter(store).view(NOW)
    assert [c for c, _ in view.categories] == ["sCR", "CR", "VGPR", "PR", "MR", "SD", "PD"]
    assert any("not a cure" in c for c in view.caveats)


def test_a_garbled_answer_shows_nothing_rather_than_failing(store: Store) -> None:
    _keep(store, {"measurable_by": "serum", "assessments": [{"date": "x", "values": {"serum_m_protein": "NaN"}}, 3]})
    view = ResponsePresenter(store).view(NOW)
    assert view.headline == ""


def test_the_sync_keeps_the_response_for_offline_use_and_an_older_server_changes_nothing(store: Store) -> None:
    store.put("token", TOKEN)
    with FakeServer(FakeState(start_date=date(2026, 11, 1), now=lambda: NOW)) as server:
        engine = SyncEngine(store, ApiClient(server.url), now=lambda: NOW)
        engine.sync_once()  # the server has no response endpoint yet: nothing kept, no error
        assert store.get("response") is None
        server.state.response = _answer()
        engine.sync_once()
    assert ResponsePresenter(store).view(NOW).status.startswith("Your care team calls this a partial response")


def test_a_patient_copies_a_marker_from_a_printed_report_and_sees_it_entered_by_them(
    store: Store, journal: Journal
) -> None:
    lab = LabPresenter(store, journal)
    assert ("kappa_flc", "Free kappa light chain") in analytes()
    assert units("kappa_flc") == [("mg/L", "mg/L"), ("mg/dL", "mg/dL")]
    # The report prints 0.3 mg/dL (a suppressed chain); typed under mg/L it is refused with the unit meant.
    refused = lab.check("kappa_flc", "0,3", "mg/L", NOW, save=True)
    assert not refused.ok and (refused.suggested_unit, refused.suggested_label) == ("mg/dL", "mg/dL")
    assert "Did you mean 0.3 mg/dL?" in refused.problem
    saved = lab.check("kappa_flc", "0,85", "mg/dL", NOW, save=True)
    assert saved.ok and saved.outcome is not None and saved.outcome.headline == S.MARKER_SAVED_TITLE
    [entry] = store.entries("marker_results")
    assert entry.item["marker"] == "kappa_flc" and entry.item["value"] == 0.85 and entry.item["unit"] == "mg/dL"
    assert ResponsePresenter(store).view(NOW).yours == [
        "Free kappa light chain: 0.85 mg/dL, today 19:30 · waiting to send"
    ]


def test_the_patients_markers_are_synced_in_their_own_section(store: Store, journal: Journal) -> None:
    journal.record_marker("serum_m_protein", 1.2, "g/dL", NOW)
    store.put("token", TOKEN)
    with FakeServer(FakeState(start_date=date(2026, 11, 1), now=lambda: NOW)) as server:
        SyncEngine(store, ApiClient(server.url), now=lambda: NOW).sync_once()
        [body] = server.state.sync_bodies
    [sent] = body["marker_results"]
    assert (sent["marker"], sent["value"], sent["unit"]) == ("serum_m_protein", 1.2, "g/dL")
    assert ResponsePresenter(store).view(NOW).yours[0].endswith("sent to your care team")


def test_today_reminds_the_patient_of_the_next_myeloma_tests_near_their_day(store: Store) -> None:
    _keep(store, _answer(next_test={"cycle": 3, "due": "2026-11-17", "overdue": False}))
    assert response_test_banner(store, date(2026, 11, 13)) is None  # four days ahead: not yet
    due = response_test_banner(store, date(2026, 11, 14))
    assert due is not None and due.action == "response"
    assert due.text == (
        "Your blood and urine tests for myeloma (M-protein and free light chains) are due at the start of "
        "cycle 3, 17 Nov. Your care team arranges them."
    )
    late = response_test_banner(store, date(2026, 11, 25))
    assert late is not None and "were due on 17 Nov" in late.text
