"""Messages, caregivers, settings, enroll and the sync bar: what each says, in plain words."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from mobile import strings as S
from mobile.api import ApiError, NotAvailable, Unreachable
from mobile.journal import Journal
from mobile.presenters import caregivers, enroll
from mobile.presenters.messages import MessagesPresenter
from mobile.presenters.settings import SettingsPresenter
from mobile.presenters.sync_status import sync_line
from mobile.store import Store
from mobile.sync import SyncStatus
from tests.mobile.conftest import NOW, NY, Clock

# ---- messages ----------------------------------------------------------------------------------


def _alert(status: str, **extra: object) -> dict[str, object]:
    return {
        "id": f"a-{status}",
        "status": status,
        "severity": "urgent",
        "title": f"Grade 3 nausea ({status})",
        "patient_advice": "Your care team has been told and will contact you.",
        "created_at": (NOW - timedelta(hours=1)).isoformat(),
        **extra,
    }


def test_alerts_say_what_the_care_team_has_done(store: Store, journal: Journal) -> None:
    store.upsert_alerts([_alert("open"), _alert("acknowledged"), _alert("resolved")])
    journal.record_lab("platelets", 18, "K/uL", NOW)  # not sent yet: the phone's own alert
    rows = MessagesPresenter(store).view(NOW).alerts
    assert [(r.level, r.status, r.seen) for r in rows] == [
        ("critical", S.STATUS_LOCAL, False),
        ("urgent", "Sent to your care team. Not yet seen.", False),
        ("urgent", "Your care team has seen this.", True),
        ("ok", "Your care team has dealt with this.", True),
    ]
    assert rows[-1].advice == ""  # nothing left to do about a resolved alert
    assert rows[1].when == "today 18:30"


def test_a_superseded_alert_is_not_the_patients_message(store: Store) -> None:
    """History from a backlog of old readings a newer one contradicts: the care team reviews it."""
    store.upsert_alerts([_alert("open", id="old", superseded=True), _alert("acknowledged")])
    rows = MessagesPresenter(store).view(NOW).alerts
    assert [r.title for r in rows] == ["Grade 3 nausea (acknowledged)"]


def test_a_refused_entry_shows_what_it_was_and_why_until_dismissed(
    store: Store, journal: Journal, clock: Clock
) -> None:
    clock.now = NOW.astimezone(UTC)  # the app's clock runs in UTC; the patient reads their own time
    entry_id = journal.record_lab("platelets", 180, "K/uL", NOW)
    store.settle(
        accepted=[],
        rejected={entry_id.entry_id: {"collected_at": ["Is in the future."], "value": ["Too high."]}},
    )
    presenter = MessagesPresenter(store)
    [row] = presenter.view(NOW).rejected
    assert row.what == "Platelets 180 K/µL, entered today 19:30"
    assert row.reasons == "Time: Is in the future. Too high."
    presenter.dismiss(row.entry_id)
    assert presenter.view(NOW).rejected == []


def test_coming_up_lists_the_next_reminders(store: Store) -> None:
    upcoming = MessagesPresenter(store).view(NOW).upcoming
    assert upcoming[:2] == [
        ("today 20:00", "Time for your antiviral medicine"),
        ("today 22:00", "Time for Ixazomib (Ninlaro) 4 mg"),
    ]
    assert len(upcoming) == 6


def test_the_inbox_reads_the_contract_fields(store: Store) -> None:
    rows = MessagesPresenter(store).inbox(
        [{"id": "n1", "kind": "alert", "title": "Hi", "body": "Call us", "created_at": "2026-11-14T08:00:00Z"}],
        NOW,
    )
    assert [(r.title, r.body, r.when, r.unread) for r in rows] == [("Hi", "Call us", "yesterday 03:00", True)]


# ---- caregivers ----------------------------------------------------------------------------------


def test_an_invite_needs_a_scope_and_shows_its_code() -> None:
    assert caregivers.check_scopes([]) == S.CARE_PICK_ONE
    assert caregivers.check_scopes(["missed_doses"]) == ""
    invite = caregivers.invite({"code": "K7QX-4PMA", "scopes": ["critical_alerts"]}, ["missed_doses"])
    assert (invite.code, invite.scopes) == ("K7QX-4PMA", S.CARE_SCOPES["critical_alerts"])


def test_caregivers_are_read_from_whichever_name_field_the_server_sends() -> None:
    rows = caregivers.caregivers(
        [
            {"id": 7, "username": "sam", "scopes": ["all_alerts"]},
            {"id": "8"},
            {"id": "9", "display_name": "Gone", "active": False, "revoked_at": "2026-11-14T08:00:00Z"},
        ]
    )
    assert [(r.id, r.name, r.scopes) for r in rows] == [("7", "sam", S.CARE_SCOPES["all_alerts"]), ("8", "", "")]


@pytest.mark.parametrize(
    ("error", "text"),
    [
        (NotAvailable("/caregivers/"), S.CARE_UNAVAILABLE),
        (Unreachable("down"), S.CARE_OFFLINE),
        (ApiError(400, {"scopes": ["Unknown scope: x."]}), "Unknown scope: x."),
    ],
)
def test_caregiver_errors_are_plain(error: Exception, text: str) -> None:
    assert caregivers.error_text(error) == text


# ---- settings ------------------------------------------------------------------------------------


def test_reminder_times_move_in_half_hours_and_the_zone_must_be_real(store: Store) -> None:
    presenter = SettingsPresenter(store)
    assert presenter.shift_time("ixazomib_time", 30) == ""
    view = presenter.view()
    assert [(t.key, t.label, t.time_text) for t in view.times] == [
        ("ixazomib_time", "Ixazomib (Ninlaro)", "22:30"),
        ("lenalidomide_time", "Lenalidomide (Revlimid)", "09:00"),
        ("dexamethasone_time", "Dexamethasone", "09:00"),
        ("antiviral_times:0", "Antiviral medicine", "08:00"),
        ("antiviral_times:1", "Antiviral medicine", "20:00"),
        ("lab_draw_time", "Blood test days", "08:00"),
    ]
    # Ixazomib within an hour before dexamethasone breaks the label's rule: refused with its reason.
    assert presenter.shift_time("dexamethasone_time", 13 * 60).startswith("Ixazomib is taken on an empty stomach")
    assert presenter.view().times[2].time_text == "09:00"
    assert view.timezone == "America/New_York" and view.timezones[0] == "America/New_York"
    assert not presenter.set_timezone("Mars/Olympus")
    assert presenter.set_timezone("Europe/Berlin") and presenter.view().timezone == "Europe/Berlin"
    assert (view.clinic_name, view.clinic_phone) == ("Riverside Oncology", "+1 555 0100")


def test_text_size_is_kept_and_clamped(store: Store) -> None:
    presenter = SettingsPresenter(store)
    assert presenter.set_text_scale(2) == 1.4 and presenter.view().text_scale == 2
    assert presenter.set_text_scale(9) == 1.4


def test_signing_out_warns_harder_when_entries_would_be_lost(store: Store, journal: Journal) -> None:
    presenter = SettingsPresenter(store)
    assert presenter.sign_out_warning() == S.SETTINGS_SIGN_OUT_WARNING
    journal.record_dose("ixazomib", "taken", NOW)
    journal.record_dose("lenalidomide", "taken", NOW)
    assert presenter.sign_out_warning().startswith("2 entries have NOT been sent yet.")


# ---- enroll --------------------------------------------------------------------------------------


def test_the_code_is_cleaned_and_required() -> None:
    assert enroll.clean_code(" abcd 2345 ") == "ABCD2345"
    assert enroll.check("   ") == S.ENROLL_NEED_CODE and enroll.check("abcd-2345") == ""


@pytest.mark.parametrize(
    ("error", "text"),
    [
        (Unreachable("refused"), S.ENROLL_OFFLINE),
        (Unreachable("HTTP 502", 502), S.ENROLL_SERVER_TROUBLE),
        (ApiError(400, {"code": ["This code has already been used."]}), "This code has already been used."),
    ],
)
def test_enroll_errors_are_plain(error: Exception, text: str) -> None:
    assert enroll.error_text(error) == text


def test_enrolling_keeps_the_token_patient_regimen_and_clinic(store: Store) -> None:
    store.wipe()
    enroll.apply(
        store,
        {
            "token": "new",
            "patient": {"id": "p", "regimen": {"start_date": "2026-11-01"}},
            "clinic": {"name": "C", "phone": "1"},
        },
    )
    assert store.token == "new" and store.get_json("regimen") == {"start_date": "2026-11-01"}
    assert store.get_json("clinic") == {"name": "C", "phone": "1"}
    with pytest.raises(ApiError):
        enroll.apply(store, {"patient": {}})


# ---- the sync bar --------------------------------------------------------------------------------

LAST_OK = datetime(2026, 11, 15, 15, 42, tzinfo=UTC)  # 10:42 in New York


@pytest.mark.parametrize(
    ("status", "level", "text", "detail"),
    [
        (SyncStatus(0, LAST_OK, None), "ok", "All sent · Last sent today 10:42", ""),
        (SyncStatus(0, None, None), "ok", "Not sent yet", ""),
        (SyncStatus(2, LAST_OK, None, running=True), "sending", "Sending… · Last sent today 10:42", ""),
        (SyncStatus(2, LAST_OK, None), "waiting", "2 entries waiting to send · Last sent today 10:42", S.SYNC_TAP),
        (
            SyncStatus(1, LAST_OK, S.SYNC_ERROR_OFFLINE, retry_at=NOW + timedelta(seconds=40)),
            "waiting",
            "1 entry waiting to send · Last sent today 10:42",
            f"{S.SYNC_ERROR_OFFLINE} Trying again in 40 s",
        ),
        (SyncStatus(3, None, None, signed_out=True), "error", S.SYNC_ERROR_SIGNED_OUT, ""),
    ],
)
def test_the_sync_bar_says_what_waits_when_it_last_worked_and_what_went_wrong(
    status: SyncStatus, level: str, text: str, detail: str
) -> None:
    line = sync_line(status, NOW, NY)
    assert (line.level, line.text, line.detail) == (level, text, detail)
