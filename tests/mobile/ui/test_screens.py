"""Every screen, driven by touch and typing as a patient would, in the order a new patient meets
them; a screenshot of each lands in tests/artifacts/mobile/. The tests share one app (one window
per process), so they run in file order and each starts where the previous one left off."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.mobile.fake_server import CODE, CODE_INVALID
from tests.mobile.ui.conftest import NOW, START, Driver

pytestmark = pytest.mark.ui


def test_enroll_refuses_a_wrong_code_in_plain_words_then_connects(ui: Driver) -> None:
    assert ui.screen.name == "enroll"
    ui.shot("01_enroll")
    code = ui.screen.ids.code
    ui.type(code, "wrong-1")
    ui.tap("Connect")
    ui.until(lambda: CODE_INVALID in ui.texts(), what="the server's reason")
    ui.shot("01_enroll_error")

    code.text = ""
    ui.type(code, CODE.lower())
    assert code.text == CODE  # shown in capitals as typed
    ui.tap("Connect")
    ui.until(lambda: ui.screen.name == "today", what="Today after enrolling")
    assert ui.app.store.token is not None


def test_today_shows_the_cycle_the_doses_and_logs_them_by_touch(ui: Driver) -> None:
    ui.until(lambda: ui.state.sync_bodies, what="the first sync after enrolling")
    ui.settle()
    assert "Cycle 1 · Day 15 of 28" in ui.texts()
    ui.shot("02_today")
    lenalidomide = next(
        c for c in ui.screen.ids.doses.children if getattr(c, "row", None) and c.row.drug == "lenalidomide"
    )
    ui.tap(ui.find("Taken", root=lenalidomide))
    assert "Taken at 19:30" in ui.texts()
    ixazomib = next(c for c in ui.screen.ids.doses.children if getattr(c, "row", None) and c.row.drug == "ixazomib")
    ui.tap(ui.find("Vomited", root=ixazomib))
    assert "Do not take another capsule after vomiting" in ui.texts()
    ui.until(lambda: sum(len(b.get("dose_logs", [])) for b in ui.state.sync_bodies) >= 2, what="the dose logs sent")
    ui.shot("02_today_logged", top=True)


def test_feel_grades_at_once_and_an_emergency_shows_the_call_button(ui: Driver) -> None:
    ui.go("feel")
    assert ui.screen.name == "feel"
    ui.shot("03_feel_pick")
    ui.tap("Diarrhea")
    for _ in range(7):
        ui.tap("+")
    assert "Urgent: Grade 3 diarrhea" in ui.texts()
    ui.answer("Did it stop you doing your usual things?", "Yes: even washing, dressing, eating or using the toilet")
    ui.shot("03_feel_diarrhea_follow_ups")
    assert "Urgent: Grade 3 diarrhea" in ui.texts()  # the count already meets grade 3
    assert "Do not take ixazomib (Ninlaro)" in ui.texts()
    ui.shot("03_feel_urgent")

    ui.tap("Something else")
    ui.tap("Rash")
    ui.answer("How much of your skin", "More than a third")
    ui.answer("blisters or peeling", "Yes")
    assert "Call your care team now" in ui.texts()
    assert "+1 555 0100" in ui.texts()
    ui.shot("03_feel_critical")
    ui.tap("Save and send")
    assert "Saved. It will be sent to your care team." in ui.texts()
    ui.until(lambda: any(b.get("symptom_reports") for b in ui.state.sync_bodies), what="the report sent")
    sent = next(b["symptom_reports"][0] for b in ui.state.sync_bodies if b.get("symptom_reports"))
    assert sent["symptom"] == "rash"
    assert sent["answers"] == {"body_area": "over_30", "limits_self_care": False, "blisters_or_peeling": True}
    ui.shot("03_feel_saved", top=True)


def test_feel_asks_the_ctcae_follow_ups_after_severe_and_grades_with_them(ui: Driver) -> None:
    ui.tap("Report something else")
    ui.tap("Vomiting")
    assert "Did you faint" not in ui.texts()  # nothing more to ask before the severity
    ui.answer("How bad was your vomiting", "Severe")
    assert "Urgent: Grade 3 vomiting" in ui.texts()  # severe alone: as before
    assert "A few more questions" in ui.texts()
    ui.answer("Did you have to go to hospital", "No")
    ui.answer("Did you faint", "No")
    assert "Grade 2 of 4 (moderate)" in ui.texts() and "No alert" in ui.texts()
    ui.shot("03_feel_follow_ups")
    ui.answer("Did you faint", "Yes")
    assert "Emergency: Grade 4 vomiting" in ui.texts()
    assert "Call your care team now" in ui.texts()
    ui.shot("03_feel_grade4")
    ui.answer("How bad was your vomiting", "Mild")
    assert "Did you faint" not in ui.texts()  # hidden again, and its answer no longer counts
    assert "Grade 1 of 4 (mild)" in ui.texts()
    ui.answer("How bad was your vomiting", "Severe")
    assert "Emergency: Grade 4 vomiting" in ui.texts()  # the answers come back with the questions
    ui.tap("Save and send")
    ui.until(
        lambda: any(r["symptom"] == "vomiting" for b in ui.state.sync_bodies for r in b.get("symptom_reports", [])),
        what="the vomiting report sent",
    )
    sent = next(r for b in ui.state.sync_bodies for r in b.get("symptom_reports", []) if r["symptom"] == "vomiting")
    assert sent["answers"] == {"severity": "severe", "hospital": False, "danger_signs": True}


def test_lab_catches_the_factor_of_1000_and_grades_a_grade_4_count(ui: Driver) -> None:
    ui.go("lab")
    assert ui.screen.name == "lab"
    ui.tap("/µL")
    ui.type(ui.screen.ids.value, "42")
    ui.until(lambda: "Did you mean 42 K/µL?" in ui.texts(), what="the factor-of-1000 hint")
    ui.shot("04_lab_mixup")
    ui.tap("Yes, use K/µL")
    assert ui.screen.unit == "K/uL"
    assert "Urgent: Low platelets" in ui.texts()

    ui.screen.ids.value.text = ""
    ui.settle()  # the check runs 0.3 s after typing stops, and the layout moves with it
    ui.type(ui.screen.ids.value, "18")
    ui.until(lambda: "Emergency: Low platelets" in ui.texts(), what="the grade 4 advice")
    ui.shot("04_lab_grade4")
    ui.tap("Check and save")
    assert "Saved." in ui.texts()
    ui.until(lambda: any(b.get("lab_results") for b in ui.state.sync_bodies), what="the lab sent")
    lab = next(b["lab_results"][0] for b in ui.state.sync_bodies if b.get("lab_results"))
    assert (lab["analyte"], lab["value"], lab["unit"]) == ("platelets", 18, "K/uL")
    ui.shot("04_lab_saved", top=True)

    ui.tap("Add another result")
    assert ui.screen.unit == "K/uL"  # the unit used last


def test_lab_asks_to_check_the_unit_of_a_very_low_count_per_ul_and_offers_k_per_ul(ui: Driver) -> None:
    ui.go("lab")
    ui.tap(ui.screen._analyte_buttons["anc"])
    ui.tap("/µL")
    ui.screen.ids.value.text = ""
    ui.settle()
    ui.type(ui.screen.ids.value, "10")
    ui.until(lambda: "Check the unit on your lab report" in ui.texts(), what="the unit question")
    assert "Emergency: Low neutrophils" in ui.texts()  # graded as typed: grade 4
    ui.shot("04_lab_unit_check")
    ui.tap("Yes, use K/µL")
    assert ui.screen.unit == "K/uL"
    ui.until(lambda: "Check the unit on your lab report" not in ui.texts(), what="the question gone")


def test_today_shows_the_emergency_and_the_hold_from_the_server(ui: Driver) -> None:
    ui.go("today")
    ui.settle()
    ui.until(lambda: "Call your care team now" in ui.texts(), what="the critical banner")
    assert "Do not take ixazomib and lenalidomide for now" in ui.texts()
    ui.shot("02_today_alerts", top=True)


def _history(ui: Driver) -> None:
    """Six weeks of results and symptoms, as a patient would have entered them."""
    now = ui.app.now_local()
    journal = ui.app.journal
    for days_ago, platelets, anc, hb in (
        (35, 210, 3.1, 12.8),
        (28, 180, 2.6, 12.1),
        (21, 95, 1.4, 11.2),
        (14, 160, 2.2, 11.6),
        (7, 120, 1.7, 10.9),
        (1, 48, 0.9, 9.6),
    ):
        at = now - timedelta(days=days_ago, hours=3)
        journal.record_lab("platelets", platelets, "K/uL", at)
        journal.record_lab("anc", anc, "10^9/L", at)
        journal.record_lab("hemoglobin", hb, "g/dL", at)
    for days_ago, symptom, answers in (
        (9, "nausea", {"severity": "mild"}),
        (6, "nausea", {"severity": "moderate"}),
        (5, "diarrhea", {"stools_above_usual": 2}),
        (3, "peripheral_neuropathy", {"severity": "mild"}),
        (2, "fever", {"temperature_c": 37.4}),
    ):
        journal.record_symptom(symptom, answers, now - timedelta(days=days_ago))


def test_trends_draws_the_charts_with_grade_bands_and_dose_days(ui: Driver) -> None:
    _history(ui)
    ui.go("trends")
    assert ui.screen.name == "trends"
    chart = ui.screen.ids.chart
    assert chart.model is not None and len(chart.model.points) == 7  # six from history, the 18 from the lab test
    assert [b.label for b in chart.model.bands] == ["G4", "G3", "G2", "G1", "Normal"]
    assert chart.model.ixazomib_days
    ui.shot("05_trends_platelets")
    ui.tap("Neutrophils")
    ui.shot("05_trends_anc")
    ui.tap("Hemoglobin")
    ui.shot("05_trends_hemoglobin")
    ui.tap("Symptoms")
    assert ui.screen.ids.grid.model.rows
    ui.shot("05_trends_symptoms")


def _response(category: str, confirmed: bool, *serum: float) -> dict[str, Any]:
    """A response answer as the server's GET /patients/{id}/response/ gives it (contract §5)."""
    days = [(START - timedelta(days=1 - 7 * n)).isoformat() for n in range(len(serum))]
    return {
        "measurable_by": "serum",
        "involved_chain": None,
        "baseline": {"date": days[0], "values": {"serum_m_protein": serum[0]}},
        "current": {"category": category, "confirmed": confirmed, "since": days[1]},
        "best": None,
        "assessments": [
            {"date": d, "category": category, "confirmed": confirmed and n > 0, "values": {"serum_m_protein": v}}
            for n, (d, v) in enumerate(zip(days[1:], serum[1:], strict=True))
        ],
    }


def test_is_my_treatment_working_shows_the_trend_in_plain_words_offline_too(ui: Driver) -> None:
    ui.go("trends")
    ui.tap("Is my treatment working?")
    assert ui.screen.name == "response"
    ui.shot("05_response_empty", top=True)

    ui.state.response = _response("PR", True, 2.8, 1.6, 1.2, 1.0)
    ui.app.sync_now()
    ui.until(lambda: "has fallen 64% since you started" in ui.texts(), what="the response after a sync")
    assert "Your care team calls this a partial response, confirmed on" in ui.texts()
    assert ui.screen.ids.chart.model is not None and len(ui.screen.ids.chart.model.points) == 4
    ui.shot("05_response_partial", top=True)
    ui.scroll_to(ui.find("Good to know"))
    ui.shot("05_response_explained")

    ui.state.response = _response("PD", False, 2.8, 1.0, 1.7)
    ui.app.sync_now()
    ui.until(lambda: "may be becoming active again" in ui.texts(), what="the progression words")
    ui.shot("05_response_progression", top=True)

    ui.state.fail_sync_with = 503  # offline: the last answer kept still shows
    ui.app.sync_now()
    ui.wait(0.5)
    assert "may be becoming active again" in ui.texts()
    ui.state.fail_sync_with = None

    # A free light chain copied from a report that prints mg/dL, typed under mg/L: caught.
    ui.go("lab")
    ui.tap("Free kappa light chain")
    ui.tap("mg/L")
    ui.type(ui.screen.ids.value, "0.3")
    ui.until(lambda: "Did you mean 0.3 mg/dL?" in ui.texts(), what="the tenfold FLC hint")
    ui.shot("04_lab_flc_mixup")
    ui.tap("Yes, use mg/dL")
    ui.tap("Check and save")
    ui.until(lambda: any(b.get("marker_results") for b in ui.state.sync_bodies), what="the marker sent")
    marker = next(b["marker_results"][0] for b in ui.state.sync_bodies if b.get("marker_results"))
    assert (marker["marker"], marker["value"], marker["unit"]) == ("kappa_flc", 0.3, "mg/dL")
    ui.tap("Add another result")
    ui.go("trends")
    ui.tap("Is my treatment working?")
    ui.until(lambda: "Entered by you" in ui.texts(), what="the patient's own entry")
    ui.scroll_to(ui.find("Entered by you"))
    ui.shot("05_response_entered_by_you")
    ui.go("trends")


def test_messages_show_status_rejections_and_the_inbox(ui: Driver) -> None:
    ui.state.notifications = [
        {
            "id": "n1",
            "kind": "alert",
            "title": "Your nurse read your report",
            "body": "Nina will call you this evening.",
            "created_at": "2026-11-15T18:05:00-05:00",
            "read": False,
        }
    ]
    for alert in ui.state.alerts:
        if alert["kind"] == "rash":
            alert["status"] = "acknowledged"
    ui.state.reject["dose_logs"] = {"taken_at": ["Is in the future."]}
    ui.go("today")
    dexamethasone = next(
        c for c in ui.screen.ids.doses.children if getattr(c, "row", None) and c.row.drug == "dexamethasone"
    )
    ui.tap(ui.find("Skipped", root=dexamethasone))
    ui.until(lambda: ui.app.store.rejected(), what="the refused entry")
    ui.state.reject.clear()
    ui.settle()
    assert "not accepted" in ui.texts()

    ui.go("messages")
    ui.until(lambda: "Nina will call you this evening." in ui.texts(), what="the inbox")
    assert "Your care team has seen this." in ui.texts()
    assert "Time: Is in the future." in ui.texts()
    ui.shot("06_messages", top=True)
    ui.scroll_to(ui.find("Nina will call you this evening."))
    ui.shot("06_messages_inbox")
    ui.until(lambda: ui.state.notifications[0]["read"], what="the inbox marked read")
    ui.tap("I have read this")
    assert not ui.app.store.rejected()
    ui.shot("06_messages_after")


def test_caregivers_invite_list_and_revoke(ui: Driver) -> None:
    ui.state.caregivers = [{"id": "c1", "display_name": "Sam Doe", "scopes": ["critical_alerts", "missed_doses"]}]
    ui.go("settings")
    ui.tap("Your helpers")
    assert ui.screen.name == "caregivers"
    ui.until(lambda: "Sam Doe" in ui.texts(), what="the caregiver list")
    ui.tap("Missed doses")
    ui.tap("Make an invitation code")
    ui.until(lambda: "K7QX-4PMA" in ui.texts(), what="the invitation code")
    assert ui.state.invites[-1]["scopes"] == ["critical_alerts", "missed_doses"]
    ui.shot("07_caregivers", top=True)
    ui.tap("Remove")
    ui.tap("Remove access")
    ui.until(lambda: "Sam Doe" not in ui.texts(), what="the caregiver removed")


def test_settings_offers_the_zone_the_phone_is_in_and_moves_the_server_online_only(
    ui: Driver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The patient flew to Berlin: the phone follows the network's zone, the server still reminds
    in New York time. Offline the move is refused in plain words; online the server takes it. Then
    back home again, so the journey goes on in New York time."""
    monkeypatch.setattr("mobile.device.timezone_name", lambda: "Europe/Berlin")
    ui.tap("Back")  # from the helpers, to settings
    assert ui.screen.name == "settings"
    ui.scroll_to(ui.find("Your reminders follow America/New_York time. You seem to be in Europe/Berlin now."))
    ui.shot("08_settings_zone")

    ui.state.fail_sync_with = 503
    ui.tap("Use Europe/Berlin")
    ui.until(lambda: "needs the internet" in ui.texts(), what="the offline message")
    assert ui.state.timezone == "America/New_York"
    ui.state.fail_sync_with = None

    ui.tap("Use Europe/Berlin")
    ui.until(lambda: "now follow Europe/Berlin time" in ui.texts(), what="the move")
    assert ui.state.timezone == "Europe/Berlin"
    assert [r[:2] for r in ui.state.requests].count(("PATCH", "/api/v1/me/")) == 2  # offline try, then this
    assert "You seem to be in" not in ui.texts()
    assert ui.screen.ids.tz.text == "Europe/Berlin"

    monkeypatch.setattr("mobile.device.timezone_name", lambda: "America/New_York")
    ui.screen.refresh()
    ui.frames(5)
    ui.tap("Use America/New_York")
    ui.until(lambda: ui.state.timezone == "America/New_York", what="the move back")
    ui.until(lambda: ui.screen.ids.tz.text == "America/New_York", what="the phone following")
    ui.tap("Your helpers")  # where the next test expects to start
    ui.settle()


def test_a_reminder_comes_at_its_time_with_no_signal(ui: Driver) -> None:
    """No notification service on this desktop (plyer finds none): the app shows it itself."""
    ui.clock[0] = NOW.replace(hour=20, minute=1)
    ui.app._tick()
    ui.frames(5)
    assert ui.app.toast.startswith("Time for your antiviral medicine")
    ui.shot("10_reminder")
    ui.tap("OK")
    assert ui.app.toast == ""
    ui.app._tick()
    assert ui.app.toast == ""  # fired once


def test_settings_times_text_size_and_sign_out_after_a_warning(ui: Driver) -> None:
    ui.tap("Back")
    assert ui.screen.name == "settings"
    ui.shot("08_settings", top=True)
    ui.answer("Ixazomib (Ninlaro)", "+")
    assert "22:30" in ui.texts()
    ui.tap("Largest")
    assert ui.app.text_scale == 1.4
    ui.shot("08_settings_largest", top=True)
    ui.tap("Large")

    ui.tap(ui.screen.ids.tz)  # the time zone list opens over the screen
    ui.tap(ui.find("America/Chicago", root=ui.window))
    assert ui.app.store.get("timezone") == "America/Chicago"
    assert ui.screen.ids.tz.text == "America/Chicago"  # reminder times stay wall-clock times in the new zone

    ui.state.fail_sync_with = 503  # the clinic's server is down: entries wait on the phone
    ui.go("today")
    dexamethasone = next(
        c for c in ui.screen.ids.doses.children if getattr(c, "row", None) and c.row.drug == "dexamethasone"
    )
    ui.tap(ui.find("Taken", root=dexamethasone))  # its earlier log was refused, so it is not logged
    ui.until(lambda: "1 entry waiting to send" in ui.app.sync_text, what="the waiting entry")
    ui.until(lambda: "Trying again in" in ui.app.sync_detail, what="the retry countdown")
    ui.shot("09_offline", top=True)

    ui.go("settings")
    ui.tap("Sign out of this phone")
    assert "1 entry has NOT been sent yet" in ui.texts()
    ui.shot("08_sign_out_warning")
    ui.tap("Sign out and delete data on this phone")
    ui.until(lambda: ui.screen.name == "enroll", what="the enroll screen")
    assert ui.app.store.token is None and ui.app.store.pending_count() == 0
