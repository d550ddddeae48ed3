"""Today: cycle and day, doses due and how they were logged, the ixazomib missed-dose rule from
shared/, and the banners for what is in force."""

from __future__ import annotations

from datetime import datetime, timedelta

from mobile import strings as S
from mobile.journal import Journal
from mobile.presenters.today import TodayPresenter
from mobile.store import Store
from tests.mobile.conftest import NOW, NY, START, Clock


def _view(store: Store, journal: Journal, now: datetime = NOW):  # type: ignore[no-untyped-def]
    return TodayPresenter(store, journal).view(now)


def test_it_shows_the_cycle_day_and_the_three_drugs_due_on_day_15(store: Store, journal: Journal) -> None:
    view = _view(store, journal)
    assert view.greeting == "Hello, Pat Doe"
    assert view.date_text == "Sunday 15 November"
    assert view.cycle_text == "Cycle 1 · Day 15 of 28"
    assert view.note == S.TODAY_NADIR
    assert [(d.drug, d.name, d.time_text) for d in view.doses] == [
        ("ixazomib", "Ixazomib (Ninlaro) 4 mg", "Usual time 22:00"),
        ("lenalidomide", "Lenalidomide (Revlimid) 25 mg", "Usual time 09:00"),
        ("dexamethasone", "Dexamethasone 40 mg", "Usual time 09:00"),
        ("antiviral", "Antiviral medicine", "Usual times 08:00 and 20:00"),  # the clinic's default plan
    ]
    assert view.reminders == [
        ("20:00", "Time for your antiviral medicine"),
        ("22:00", "Time for Ixazomib (Ninlaro) 4 mg"),
    ]


def test_a_rest_day_says_so(store: Store, journal: Journal) -> None:
    view = _view(store, journal, NOW + timedelta(days=9))  # day 24
    assert [d.drug for d in view.doses] == ["antiviral"] and view.no_doses_text == S.TODAY_NO_DOSES


def test_before_the_start_it_says_when_treatment_starts(store: Store, journal: Journal) -> None:
    view = _view(store, journal, datetime(2026, 10, 30, 9, 0, tzinfo=NY))
    assert view.note == "Your treatment starts on Sunday 1 November." and view.doses == []


def test_the_latest_log_of_the_day_is_what_shows(store: Store, journal: Journal, clock: Clock) -> None:
    presenter = TodayPresenter(store, journal)
    presenter.log_dose("lenalidomide", "skipped", NOW - timedelta(hours=2))
    presenter.log_dose("lenalidomide", "taken", NOW)
    row = next(d for d in presenter.view(NOW).doses if d.drug == "lenalidomide")
    assert (row.status, row.logged, row.logged_icon) == ("taken", "Taken at 19:30", S.ICON_OK)


def test_an_unlogged_ixazomib_dose_can_still_be_taken_until_72_hours_before_the_next(
    store: Store, journal: Journal
) -> None:
    assert _view(store, journal).missed == []  # 19:30: the 22:00 dose is not due yet
    late = NOW.replace(hour=23, minute=30)
    [missed] = _view(store, journal, late).missed
    assert missed.title == "Ixazomib dose of Sun 15 Nov"
    # Day 15 is the cycle's last ixazomib dose: the next is cycle 2 day 1, Sun 29 Nov.
    assert missed.text == (
        "Not marked as taken. You can still take it until Thu 26 Nov, 22:00. "
        "Then take the next dose as usual on Sun 29 Nov, 22:00."
    )
    assert missed.can_take


def test_exactly_72_hours_before_the_next_dose_the_phone_still_says_take_it(store: Store, journal: Journal) -> None:
    [missed] = _view(store, journal, datetime(2026, 11, 26, 22, 0, tzinfo=NY)).missed
    assert missed.can_take
    assert "You can still take it until Thu 26 Nov, 22:00." in missed.text


def test_once_inside_72_hours_of_the_next_dose_it_says_skip_for_a_day_then_goes(store: Store, journal: Journal) -> None:
    [missed] = _view(store, journal, datetime(2026, 11, 26, 23, 0, tzinfo=NY)).missed
    assert not missed.can_take
    assert missed.text.endswith(
        "Skip it: your next dose is on Sun 29 Nov, 22:00. Do not take two doses to make up for it."
    )
    assert _view(store, journal, datetime(2026, 11, 27, 23, 0, tzinfo=NY)).missed == []


def test_a_missed_dose_taken_days_later_counts_for_its_day(store: Store, journal: Journal, clock: Clock) -> None:
    tuesday = clock.now = datetime(2026, 11, 17, 8, 0, tzinfo=NY)
    assert _view(store, journal, tuesday).missed[0].can_take
    TodayPresenter(store, journal).took_missed_dose(tuesday)
    assert _view(store, journal, tuesday + timedelta(hours=1)).missed == []


def test_a_vomited_dose_is_not_repeated_and_a_taken_one_needs_no_help(
    store: Store, journal: Journal, clock: Clock
) -> None:
    presenter = TodayPresenter(store, journal)
    presenter.log_dose("ixazomib", "vomited", NOW)
    [missed] = presenter.view(NOW).missed
    assert missed.text == "Do not take another capsule after vomiting. Take the next dose on Sun 29 Nov, 22:00."
    assert not missed.can_take
    presenter.log_dose("ixazomib", "taken", NOW)
    assert presenter.view(NOW).missed == []


def test_a_grade_4_count_recorded_offline_shows_call_now_and_the_hold_at_once(store: Store, journal: Journal) -> None:
    journal.record_lab("platelets", 18, "10^9/L", NOW)
    view = _view(store, journal)
    assert [(b.level, b.title) for b in view.banners] == [
        ("critical", "Call your care team now"),
        ("hold", "Do not take ixazomib and lenalidomide for now"),
    ]
    assert view.banners[0].action == "call" and "+1 555 0100" in view.banners[0].action_text
    assert view.banners[0].text.startswith("If you cannot reach them")  # the title already says call now
    assert all(d.held for d in view.doses if d.drug in ("ixazomib", "lenalidomide"))
    assert not next(d for d in view.doses if d.drug == "dexamethasone").held


def test_the_servers_alert_replaces_the_phones_own_once_it_arrives(store: Store, journal: Journal) -> None:
    entry_id = journal.record_symptom("diarrhea", {"stools_above_usual": 8}, NOW).entry_id
    store.settle(accepted=[entry_id], rejected={})
    store.upsert_alerts(
        [
            {
                "id": "a1",
                "status": "acknowledged",
                "severity": "urgent",
                "title": "Grade 3 diarrhea",
                "patient_advice": "Your care team has been told and will contact you.",
                "hold_drugs": ["ixazomib"],
                "created_at": NOW.isoformat(),
                "source": {"id": entry_id},
            }
        ]
    )
    urgent = [b for b in _view(store, journal).banners if b.level == "urgent"]
    assert [b.text for b in urgent] == ["Grade 3 diarrhea. Your care team has seen this."]


def test_a_refused_entry_and_a_disconnected_phone_are_banners_too(store: Store, journal: Journal) -> None:
    entry_id = journal.record_dose("ixazomib", "taken", NOW)
    store.settle(accepted=[], rejected={entry_id: {"taken_at": ["Is in the future."]}})
    store.put("signed_out", NOW.isoformat())
    levels = [(b.level, b.title) for b in _view(store, journal).banners]
    assert levels == [("critical", S.SYNC_ERROR_SIGNED_OUT), ("info", S.REJECTED_BANNER_TITLE)]


def test_without_a_regimen_it_says_the_plan_is_on_its_way(store: Store, journal: Journal) -> None:
    store.put("regimen", None)
    store.put("patient", '{"display_name": "Pat"}')
    assert _view(store, journal).note == S.TODAY_NO_REGIMEN


def test_start_constant_is_a_sunday() -> None:
    assert START.weekday() == 6


# --- episodes (contract §4): the server's alert lists its readings and says which holds are in force ---


def _server_alert(**fields: object) -> dict[str, object]:
    return {
        "id": "a1",
        "kind": "thrombocytopenia",
        "status": "open",
        "severity": "critical",
        "title": "Grade 4 thrombocytopenia",
        "patient_advice": "Call your care team now.",
        "hold_drugs": ["ixazomib", "lenalidomide"],
        "holds_in_force": ["ixazomib", "lenalidomide"],
        "created_at": NOW.isoformat(),
        "source": {"id": "first-reading"},
        "readings": [],
        **fields,
    }


def _held(store: Store, journal: Journal) -> list[str]:
    return [d.drug for d in _view(store, journal).doses if d.held]


def test_a_hold_a_later_count_lifted_is_no_longer_shown(store: Store, journal: Journal) -> None:
    store.upsert_alerts([_server_alert(holds_in_force=[])])
    assert _held(store, journal) == []
    assert [b.level for b in _view(store, journal).banners] == ["critical"]  # still open: call


def test_a_resolved_alert_whose_hold_is_in_force_still_holds(store: Store, journal: Journal) -> None:
    store.upsert_alerts([_server_alert(status="resolved")])
    assert _held(store, journal) == ["ixazomib", "lenalidomide"]
    assert [b.level for b in _view(store, journal).banners] == ["hold"]  # no alert banner: it is resolved


def test_a_superseded_alert_is_history_for_the_care_team_not_the_patient(store: Store, journal: Journal) -> None:
    store.upsert_alerts([_server_alert(superseded=True, holds_in_force=[])])
    assert _view(store, journal).banners == [] and _held(store, journal) == []


def test_an_entry_that_joined_an_alert_finds_it_and_the_alert_is_updated_in_place(
    store: Store, journal: Journal
) -> None:
    entry_id = journal.record_lab("platelets", 20, "10^9/L", NOW).entry_id
    store.settle(accepted=[entry_id], rejected={})
    store.upsert_alerts([_server_alert(severity="urgent", title="Grade 3 thrombocytopenia")])
    joined = _server_alert(readings=[{"id": "first-reading"}, {"id": entry_id}])

    store.upsert_alerts([joined])

    assert store.alert_for(entry_id) == joined  # the phone's own alert for the entry gives way
    assert [a["title"] for a in store.alerts()] == ["Grade 4 thrombocytopenia"]


def _delay(store: Store, delays: object) -> None:
    """The sync answer's regimen after the care team delayed cycle 2 (Pat's would start Sun 29 Nov)."""
    regimen = {
        "start_date": START.isoformat(),
        "ixazomib_mg": "4",
        "lenalidomide_mg": "25",
        "dexamethasone_mg": "40",
        "timezone": "America/New_York",
        "cycle_delays": delays,
    }
    store.put_json("regimen", regimen)


def test_in_a_delayed_cycle_the_phone_counts_on_and_says_when_the_next_cycle_starts(
    store: Store, journal: Journal
) -> None:
    _delay(store, [{"cycle": 2, "delay_days": 7}])  # cycle 2 day 1: Sun 6 Dec

    planned = _view(store, journal, datetime(2026, 11, 29, 9, 0, tzinfo=NY))
    assert planned.cycle_text == "Cycle 1 · Day 29 (next cycle delayed)"
    assert [d.drug for d in planned.doses] == ["antiviral"]
    assert "It starts on Sunday 6 December" in planned.note

    day_before = _view(store, journal, datetime(2026, 12, 5, 9, 0, tzinfo=NY))
    assert day_before.cycle_text == "Cycle 1 · Day 35 (next cycle delayed)"

    day_1 = _view(store, journal, datetime(2026, 12, 6, 9, 0, tzinfo=NY))
    assert day_1.cycle_text == "Cycle 2 · Day 1 of 28" and day_1.note == ""
    assert [d.drug for d in day_1.doses] == ["ixazomib", "lenalidomide", "dexamethasone", "antiviral"]

    day_after = _view(store, journal, datetime(2026, 12, 7, 9, 0, tzinfo=NY))
    assert day_after.cycle_text == "Cycle 2 · Day 2 of 28"


def test_the_missed_dose_rule_counts_72_hours_to_the_delayed_day_1(store: Store, journal: Journal) -> None:
    _delay(store, [{"cycle": 2, "delay_days": 7}])

    [missed] = _view(store, journal, NOW.replace(hour=23, minute=30)).missed

    assert "until Thu 3 Dec, 22:00" in missed.text and "on Sun 6 Dec, 22:00" in missed.text


def test_a_malformed_delay_list_is_read_as_no_delay(store: Store, journal: Journal) -> None:
    _delay(store, [{"cycle": "2", "delay_days": 7}, {"cycle": 2, "delay_days": -3}, "x"])

    assert _view(store, journal, datetime(2026, 11, 29, 9, 0, tzinfo=NY)).cycle_text == "Cycle 2 · Day 1 of 28"


def test_a_patient_the_care_team_paused_gets_no_reminders_and_is_told_to_call_for_urgent_symptoms(
    store: Store, journal: Journal
) -> None:
    """The server stops reminding a paused patient; the phone, which reminds offline from its own
    plan, stops too, and says why (the sync answer's care_status)."""
    store.put("care_status", '{"status": "paused", "alerts_paused": true, "since": null, "message": ""}')
    view = _view(store, journal)
    assert view.reminders == []
    first = view.banners[0]
    assert (first.title, first.text, first.action) == (S.CARE_PAUSED_TITLE, S.CARE_PAUSED_TEXT, "call")


def test_a_discharged_patient_is_told_so_and_an_active_one_sees_no_banner(store: Store, journal: Journal) -> None:
    store.put("care_status", '{"status": "discharged", "alerts_paused": true}')
    assert _view(store, journal).banners[0].text == S.CARE_DISCHARGED_TEXT
    store.put("care_status", '{"status": "active", "alerts_paused": false}')
    view = _view(store, journal)
    assert view.reminders and S.CARE_PAUSED_TITLE not in [b.title for b in view.banners]
