"""Every string the patient sees, in one catalog ready for translation.

Each text goes through `_()` (gettext) into the catalog `mobile/locale/<lang>/LC_MESSAGES/careloop.po`
(compiled beside it as `careloop.mo`; tests/mobile/test_i18n.py fails on any text missing from it).
Texts that come from `shared/` (symptom questions, the alert policy's advice, food rules, reminder
texts) or from the server (alert titles and advice) are English and go through `tr()`: shared/'s own
catalog (`shared.i18n`, the one the server's messages use too) translates them by their English text.
The language is `mobile.language.current()`; switching it reloads this module.

Rules for writing here: short sentences, what to do before why, no jargon without its plain name
next to it, and never meaning by colour alone (every severity has a word and an icon).
"""

from __future__ import annotations

import gettext
from datetime import date, datetime
from pathlib import Path

from mobile import language
from shared.i18n import catalog

LANGUAGE = language.current()
_translation = gettext.translation(
    "careloop", localedir=Path(__file__).parent / "locale", languages=[LANGUAGE], fallback=True
)
_shared = catalog(LANGUAGE)


def _(text: str) -> str:
    return _translation.gettext(text)


def N_(singular: str, plural: str, n: int) -> str:
    return _translation.ngettext(singular, plural, n)


def C_(context: str, text: str) -> str:
    """A text whose translation depends on where it stands (" and " in "do not take A and B" is
    " ni " in Spanish, " y " elsewhere)."""
    return _translation.pgettext(context, text)


def tr(text: str) -> str:
    """A text from shared/ or the server, translated by its English text (shared/'s catalog, then
    this one); left in English when neither has it (a server's reason we do not know)."""
    if not text:
        return text
    shared = _shared.translate(text)
    if shared.complete:
        return shared.text
    own = _translation.gettext(text)
    return own if own != text else shared.text  # the sentences shared/ knows, the rest in English


APP_NAME = _("CareLoop")

# ---- icons: DejaVu Sans glyphs, each always shown next to a word --------------------------------
ICON_CRITICAL = "⚠"
ICON_URGENT = "!"
ICON_OK = "✔"
ICON_INFO = "ℹ"
ICON_HOLD = "⊘"
ICON_PHONE = "☎"
ICON_SYNC = "⟳"
ICON_WAITING = "◔"
ICON_SETTINGS = "⚙"
ICON_TODAY = "☀"
ICON_FEEL = "♥"
ICON_LAB = "✚"
ICON_TRENDS = "↗"
ICON_MESSAGES = "✉"
ICON_PEOPLE = "☺"
ICON_BACK = "‹"

# ---- navigation ---------------------------------------------------------------------------------
NAV_TODAY = _("Today")
NAV_FEEL = _("Feel")
NAV_LAB = _("Lab")
NAV_TRENDS = _("Trends")
NAV_MESSAGES = _("Messages")
BACK = _("Back")
SETTINGS = _("Settings")

TITLE_ENROLL = _("Welcome to CareLoop")
TITLE_TODAY = _("Today")
TITLE_FEEL = _("How do you feel?")
TITLE_LAB = _("Add a lab result")
TITLE_TRENDS = _("Your trends")
TITLE_MESSAGES = _("Messages")
TITLE_CAREGIVERS = _("Your helpers")
TITLE_SETTINGS = _("Settings")
TITLE_RESPONSE = _("Is it working?")  # the top bar's room; the button says it in full

# ---- enroll ---------------------------------------------------------------------------------------
ENROLL_INTRO = _(
    "Your care team gave you a code on paper or by text message. Type it here to connect this phone to your clinic."
)
ENROLL_CODE = _("Your code")
ENROLL_CODE_HINT = _("e.g. ABCD-2345")
ENROLL_DEVICE = _("Name for this phone")
ENROLL_DEVICE_DEFAULT = _("My phone")
ENROLL_CONNECT = _("Connect")
ENROLL_WORKING = _("Connecting…")
ENROLL_NEED_CODE = _("Type the code from your care team first.")
ENROLL_OFFLINE = _("No connection to your clinic. Check your internet or Wi-Fi, then try again.")
ENROLL_SERVER_TROUBLE = _("Your clinic's service did not answer. Please try again in a few minutes.")
ENROLL_HELP = _("No code? Call your care team and ask for a CareLoop code.")

# ---- sync bar -------------------------------------------------------------------------------------
SYNC_ERROR_OFFLINE = _("No connection. Your entries are safe on this phone and will be sent later.")
SYNC_ERROR_SERVER = _("Your clinic's service is not answering. Your entries are safe on this phone.")
SYNC_ERROR_SIGNED_OUT = _("This phone is no longer connected to your clinic. Ask your care team for a new code.")
SYNC_ERROR_UNEXPECTED = _("Sending failed. CareLoop will try again.")
SYNC_ALL_SENT = _("All sent")
SYNC_NEVER = _("Not sent yet")
SYNC_SENDING = _("Sending…")
SYNC_TAP = _("Tap to send now")


def sync_error_refused(reason: str) -> str:
    return _("Your clinic refused the last sending: {reason}").format(reason=tr(reason))


def sync_waiting(n: int) -> str:
    return N_("{n} entry waiting to send", "{n} entries waiting to send", n).format(n=n)


def sync_last_ok(when: str) -> str:
    return _("Last sent {when}").format(when=when)


def sync_retry_in(seconds: int) -> str:
    if seconds < 60:
        return _("Trying again in {n} s").format(n=max(seconds, 1))
    return _("Trying again in {n} min").format(n=round(seconds / 60))


# ---- today ----------------------------------------------------------------------------------------
def greeting(name: str) -> str:
    return _("Hello, {name}").format(name=name) if name else _("Hello")


def cycle_day(cycle: int, day: int) -> str:
    if day > 28:  # the care team delayed the next cycle: this one runs on
        return _("Cycle {cycle} · Day {day} (next cycle delayed)").format(cycle=cycle, day=day)
    return _("Cycle {cycle} · Day {day} of 28").format(cycle=cycle, day=day)


def next_cycle_delayed(when: str) -> str:
    return _(
        "Your care team delayed your next cycle. It starts on {when}. Until then, take no ixazomib, "
        "lenalidomide or dexamethasone. Keep taking your antiviral medicine."
    ).format(when=when)


def starts_on(when: str) -> str:
    return _("Your treatment starts on {when}.").format(when=when)


TODAY_DOSES = _("Your medicines today")
TODAY_NO_DOSES = _("No IRd medicines today. Rest days are part of the plan.")
TODAY_NO_REGIMEN = _("Your treatment plan has not reached this phone yet. It arrives with the next sending.")
TODAY_REMINDERS = _("Reminders")
TODAY_NO_REMINDERS = _("No more reminders today.")
TODAY_NADIR = _("Days 14 to 21: blood counts are at their lowest. Watch for fever, bleeding or bruising.")
DOSE_TAKEN = _("Taken")
DOSE_SKIPPED = _("Skipped")
DOSE_VOMITED = _("Vomited")
DOSE_CHANGE = _("Change")
DOSE_ON_HOLD = _("ON HOLD: do not take this today.")
STATUS_WORDS = {"taken": DOSE_TAKEN, "skipped": DOSE_SKIPPED, "vomited": DOSE_VOMITED}


def dose_logged(status: str, when: str) -> str:
    return _("{status} at {when}").format(status=STATUS_WORDS.get(status, status), when=when)


def dose_at(when: str) -> str:
    return _("Usual time {when}").format(when=when)


def dose_times(times: list[str]) -> str:
    return _("Usual times {times}").format(times=_(" and ").join(times)) if len(times) > 1 else dose_at("".join(times))


def missed_dose_title(day: str) -> str:
    return _("Ixazomib dose of {day}").format(day=day)


MISSED_NOT_LOGGED = _("Not marked as taken.")
MISSED_TOOK_IT = _("I have taken it now")


def missed_can_take(until: str, next_dose: str) -> str:
    return _("You can still take it until {until}. Then take the next dose as usual on {next}.").format(
        until=until, next=next_dose
    )


def missed_skip(next_dose: str) -> str:
    return _("Skip it: your next dose is on {next}. Do not take two doses to make up for it.").format(next=next_dose)


def missed_vomited(next_dose: str) -> str:
    return _("Do not take another capsule after vomiting. Take the next dose on {next}.").format(next=next_dose)


DRUG_NAMES = {
    "ixazomib": _("Ixazomib (Ninlaro)"),
    "lenalidomide": _("Lenalidomide (Revlimid)"),
    "dexamethasone": _("Dexamethasone"),
    "antiviral": _("Antiviral medicine"),
}
DRUG_SHORT = {
    "ixazomib": _("ixazomib"),
    "lenalidomide": _("lenalidomide"),
    "dexamethasone": _("dexamethasone"),
    "antiviral": _("antiviral"),
}


def drug_with_dose(drug: str, mg: str | None) -> str:
    name = DRUG_NAMES.get(drug, drug)
    return _("{name} {mg} mg").format(name=name, mg=mg) if mg else name


# ---- banners --------------------------------------------------------------------------------------
CALL_NOW = _("Call your care team now")
CALL_BUTTON = _("Call now")


def call_button(number: str) -> str:
    """The emergency button: what to do, and the number it dials."""
    return f"{ICON_PHONE}  {CALL_NOW}\n{number}" if number else f"{ICON_PHONE}  {CALL_NOW}"


def call_number(number: str) -> str:
    return _("Phone: {number}").format(number=number) if number else _("Use the number your care team gave you.")


def hold_title(drugs: list[str]) -> str:
    names = C_("drugs not to take", " and ").join(DRUG_SHORT.get(d, d) for d in drugs)
    return _("Do not take {drugs} for now").format(drugs=names)


HOLD_TEXT = _("Your care team will tell you when to start again and at what dose.")
ALERT_OPEN_TITLE = _("Your care team has been told")
REJECTED_BANNER_TITLE = _("Something you entered was not accepted")
# The care team paused or discharged the patient: no reminders, no alerts (the sync's care_status).
CARE_PAUSED_TITLE = _("Reminders and alerts are paused")
CARE_PAUSED_TEXT = _(
    "Your care team has paused CareLoop's reminders and alerts. What you log is still kept. "
    "For urgent symptoms, call your clinic now."
)
CARE_DISCHARGED_TEXT = _(
    "You are discharged from CareLoop: no reminders or alerts. What you log is still kept. "
    "For urgent symptoms, call your clinic now."
)


def rejected_banner(n: int) -> str:
    return N_(
        "{n} entry needs a look. Open Messages to see why.", "{n} entries need a look. Open Messages to see why.", n
    ).format(n=n)


SEE_MESSAGES = _("See messages")

# Alert titles are written for nurses ("Grade 4 thrombocytopenia"); the patient reads plain words.
ALERT_KIND_WORDS = {
    "thrombocytopenia": _("Low platelets"),
    "neutropenia": _("Low neutrophils (infection-fighting white cells)"),
    "febrile_neutropenia": _("Fever while white cells are low"),
    "leukopenia": _("Low white cells"),
    "anemia": _("Low hemoglobin"),
    "hepatotoxicity": _("Liver test high"),
    "creatinine_increased": _("Kidney test high"),
    "early_warning": _("Blood count falling"),
    "stale_labs": _("Blood count overdue"),
    "cycle_labs_missing": _("Blood test before the next cycle missing"),
}


def alert_title(kind: str, title: str) -> str:
    """The patient's words for an alert: plain for the lab kinds, else the (already plain) title."""
    return ALERT_KIND_WORDS.get(kind) or tr(title)


# ---- severity words -------------------------------------------------------------------------------
SEVERITY_CRITICAL = _("Emergency")
SEVERITY_URGENT = _("Urgent")
SEVERITY_OK = _("No alert")


GRADE_WORDS = {
    0: _("none"),
    1: _("mild"),
    2: _("moderate"),
    3: _("severe"),
    4: _("life-threatening"),
}


def grade_line(grade: int) -> str:
    return _("Grade {grade} of 4 ({words})").format(grade=grade, words=GRADE_WORDS.get(grade, ""))


# ---- how do you feel ------------------------------------------------------------------------------
FEEL_PICK = _("What is bothering you? Pick one.")
FEEL_SAVE = _("Save and send")
FEEL_SAVED = _("Saved. It will be sent to your care team.")
FEEL_ANOTHER = _("Report something else")
FEEL_OTHER = _("Something else")
FEEL_ANSWER_ALL = _("Answer the questions above to see what to do.")
FEEL_NO_ALERT = _("Keep noting how you feel. If it gets worse, report it again or call your care team.")
FEEL_FEVER_OK = _("Below 38 °C. Check again in a few hours, and call your care team if it reaches 38 °C.")
FEEL_TEMPERATURE_HINT = _("e.g. 37.2")
FEEL_FOLLOW_UPS = _("A few more questions help your care team judge how bad it is. You may skip them.")
YES = _("Yes")
NO = _("No")
MINUS = "−"
PLUS = "+"

SYMPTOM_NAMES = {
    "diarrhea": _("Diarrhea"),
    "peripheral_neuropathy": _("Numbness or tingling"),
    "rash": _("Rash"),
    "fever": _("Fever"),
    "nausea": _("Nausea"),
    "vomiting": _("Vomiting"),
    "constipation": _("Constipation"),
    "edema": _("Swelling"),
}

# ---- labs -----------------------------------------------------------------------------------------
LAB_WHICH = _("Which test?")
LAB_VALUE = _("Result")
LAB_VALUE_HINT = _("Number from your lab report")
LAB_UNIT = _("Unit (as printed on the report)")
LAB_WHEN = _("When was the blood taken?")
LAB_TODAY = _("Today")
LAB_YESTERDAY = _("Yesterday")
LAB_CHECK = _("Check and save")
LAB_SAVED = _("Saved. It will be sent to your care team.")


def saved_lab(name: str, value: str, unit: str) -> str:
    return _("{name}: {value} {unit}").format(name=name, value=value, unit=unit)


LAB_ANOTHER = _("Add another result")
LAB_NOT_A_NUMBER = _("Type the number only, for example 42 or 9.5.")


def lab_check_unit(value: str, unit: str, other: str) -> str:
    """A very low count per µL: real (and serious) or the unit slipped. It is saved as typed."""
    return _(
        "Check the unit on your lab report. {value} {unit} is a very low count, and your care team will be "
        "told. If the report says {other}, choose {other}."
    ).format(value=value, unit=unit, other=other)


LAB_IN_RANGE = _("Within the usual range. No alert.")
LAB_OUT_NO_ALERT = _("Outside the usual range, but not enough for an alert. Your care team sees it with your results.")


def use_unit(unit: str) -> str:
    return _("Yes, use {unit}").format(unit=unit)


ANALYTE_NAMES = {
    "platelets": _("Platelets"),
    "anc": _("Neutrophils (ANC)"),
    "hemoglobin": _("Hemoglobin"),
    "wbc": _("White blood cells"),
    "creatinine": _("Creatinine"),
    "alt": _("ALT (liver)"),
    "ast": _("AST (liver)"),
    "bilirubin": _("Bilirubin"),
    "alkaline_phosphatase": _("Alkaline phosphatase (liver, bone)"),
}

MARKER_NAMES = {
    "serum_m_protein": _("M-protein (blood, SPEP)"),
    "urine_m_protein": _("M-protein (24-hour urine)"),
    "kappa_flc": _("Free kappa light chain"),
    "lambda_flc": _("Free lambda light chain"),
}
MARKER_SAVED_TITLE = _("Saved, entered by you")
MARKER_SAVED_ADVICE = _(
    "It will be sent to your care team. Their copy of the same test replaces yours, and they decide "
    "what it means: see 'Is my treatment working?'."
)

# ---- trends ---------------------------------------------------------------------------------------
TRENDS_SYMPTOMS = _("Symptoms")
TRENDS_EMPTY = _("No results yet. Add one from your lab report and it appears here.")
TRENDS_SYMPTOMS_EMPTY = _("No symptoms reported in the last two weeks.")
TRENDS_LEGEND_DOSE = _("▲ ixazomib dose")
TRENDS_LEGEND_LEN = _("▬ lenalidomide days")
TRENDS_LEGEND_NADIR = _("░ days 14–21 (lowest counts)")
TRENDS_NORMAL = _("Normal")
TRENDS_SYMPTOM_HELP = _("Worst grade reported each day (0 none … 4 life-threatening).")


def latest_value(value: str, unit: str, when: str) -> str:
    return _("Latest: {value} {unit}, {when}").format(value=value, unit=unit, when=when)


def band_label(grade: int) -> str:
    return _("G{grade}").format(grade=grade)


# ---- messages -------------------------------------------------------------------------------------
MESSAGES_ALERTS = _("Alerts")
MESSAGES_NO_ALERTS = _("No alerts. If you feel unwell, tell CareLoop how you feel or call your care team.")
MESSAGES_REJECTED = _("Not accepted")
MESSAGES_INBOX = _("From your care team")
MESSAGES_INBOX_EMPTY = _("No messages.")
MESSAGES_INBOX_UNAVAILABLE = _("Messages from your care team are not available yet.")
MESSAGES_INBOX_OFFLINE = _("Messages could not be loaded: no connection.")
MESSAGES_LOADING = _("Loading…")
MESSAGES_DISMISS = _("I have read this")
MESSAGES_UPCOMING = _("Coming up")
STATUS_OPEN = _("Sent to your care team. Not yet seen.")
STATUS_ACKNOWLEDGED = _("Your care team has seen this.")
STATUS_RESOLVED = _("Your care team has dealt with this.")
STATUS_LOCAL = _("Waiting to be sent to your care team.")
STATUS_LOCAL_SENT = _("Sent. Your care team is being told.")


# A server's reason names the field it is about: the patient reads the field's plain name.
FIELD_WORDS = {"collected_at": _("time"), "reported_at": _("time"), "taken_at": _("time")}


def rejected_what(what: str, when: str) -> str:
    return _("{what}, entered {when}").format(what=what, when=when)


# ---- caregivers -----------------------------------------------------------------------------------
CARE_INTRO = _("A family member or friend can follow how you are doing. Choose what they may see.")
CARE_SCOPES = {
    "critical_alerts": _("Emergencies (when you must call your care team)"),
    "all_alerts": _("All alerts"),
    "missed_doses": _("Missed doses"),
    "daily_summary": _("A short daily summary"),
}
CARE_CREATE = _("Make an invitation code")
CARE_CODE_TITLE = _("Give this code to the person who helps you")
CARE_CODE_HELP = _("They install CareLoop, choose 'I help someone', and type this code.")
CARE_PICK_ONE = _("Choose at least one thing they may see.")
CARE_LIST = _("People who can see your updates")
CARE_NONE = _("Nobody yet.")
CARE_REVOKE = _("Remove")
CARE_REVOKE_CONFIRM = _("Remove access")
CARE_UNAVAILABLE = _("Sharing with family is not available yet on your clinic's service.")
CARE_OFFLINE = _("No connection. Sharing needs the internet.")
CARE_WORKING = _("One moment…")


# ---- settings -------------------------------------------------------------------------------------
SETTINGS_TIMES = _("Reminder times")
SETTINGS_LAB_TIME = _("Blood test days")
SETTINGS_TIMEZONE = _("Time zone")
SETTINGS_TEXT_SIZE = _("Text size")
SETTINGS_TEXT_SIZES = (_("Large"), _("Larger"), _("Largest"))
SETTINGS_CLINIC = _("Your clinic")
SETTINGS_CAREGIVERS = _("People who help you")
SETTINGS_SIGN_OUT = _("Sign out of this phone")
SETTINGS_SIGN_OUT_SURE = _("Sign out and delete data on this phone")
SETTINGS_SIGN_OUT_WARNING = _(
    "Signing out deletes everything CareLoop keeps on this phone. Entries already sent stay with your clinic."
)
SETTINGS_SEND_FIRST = _("Send them first")
SETTINGS_CANCEL = _("Cancel")
SETTINGS_CONNECTED_TO = _("Connected to")
SETTINGS_REMINDERS_HELP = _("CareLoop reminds you at these times, even without internet.")
SETTINGS_ZONE_WORKING = _("Changing your time zone…")
SETTINGS_ZONE_OFFLINE = _(
    "No connection. Changing your time zone needs the internet. Nothing was changed: try again when you are online."
)
SETTINGS_ZONE_UNAVAILABLE = _("Your clinic's service cannot change your time zone yet. Ask your care team.")
SETTINGS_LANGUAGE = _("Language")
SETTINGS_LANGUAGE_HELP = _("CareLoop speaks your language on this phone and in the messages you receive.")
SETTINGS_LANGUAGE_PENDING = _("Your language is saved with your clinic when this phone is next online.")
LANGUAGE_NAMES = language.NAMES  # each in its own words, never translated


def zone_mismatch(server_zone: str, device_zone: str) -> str:
    return _("Your reminders follow {server} time. You seem to be in {device} now.").format(
        server=server_zone, device=device_zone
    )


def zone_use(device_zone: str) -> str:
    return _("Use {zone}").format(zone=device_zone)


def zone_moved(zone: str) -> str:
    return _("Done. Your reminders now follow {zone} time.").format(zone=zone)


def shift_help(minutes: int) -> str:
    return _("Each tap on {minus} or {plus} moves a time by {n} minutes.").format(minus=MINUS, plus=PLUS, n=minutes)


def unsent_warning(n: int) -> str:
    return N_(
        "{n} entry has NOT been sent yet. If you sign out now, it will be lost.",
        "{n} entries have NOT been sent yet. If you sign out now, they will be lost.",
        n,
    ).format(n=n)


# ---- reminders (notifications) --------------------------------------------------------------------
def reminder_dose_title(drug_with_mg: str) -> str:
    return _("Time for {drug}").format(drug=drug_with_mg)


REMINDER_LAB_TITLE = _("Blood test today")
REMINDER_ANTIVIRAL_TITLE = _("Time for your antiviral medicine")
REMINDER_HELD = _("On hold: do not take it until your care team says so.")

# ---- dates ----------------------------------------------------------------------------------------
WEEKDAYS = (_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun"))
WEEKDAYS_LONG = (_("Monday"), _("Tuesday"), _("Wednesday"), _("Thursday"), _("Friday"), _("Saturday"), _("Sunday"))
MONTHS = (
    _("Jan"), _("Feb"), _("Mar"), _("Apr"), _("May"), _("Jun"),
    _("Jul"), _("Aug"), _("Sep"), _("Oct"), _("Nov"), _("Dec"),
)  # fmt: skip
MONTHS_LONG = (
    _("January"), _("February"), _("March"), _("April"), _("May"), _("June"),
    _("July"), _("August"), _("September"), _("October"), _("November"), _("December"),
)  # fmt: skip
TODAY = _("today")
YESTERDAY = _("yesterday")


def day_short(d: date) -> str:
    return _("{weekday} {day} {month}").format(weekday=WEEKDAYS[d.weekday()], day=d.day, month=MONTHS[d.month - 1])


def day_long(d: date) -> str:
    return C_("long date", "{weekday} {day} {month}").format(
        weekday=WEEKDAYS_LONG[d.weekday()], day=d.day, month=MONTHS_LONG[d.month - 1]
    )


def clock(moment: datetime) -> str:
    return moment.strftime("%H:%M")


def day_and_time(moment: datetime) -> str:
    return _("{day}, {time}").format(day=day_short(moment.date()), time=clock(moment))


def when(moment: datetime, today: date) -> str:
    """'today 10:42', 'yesterday 22:00', 'Tue 8 Dec 09:00'."""
    day = moment.date()
    if day == today:
        prefix = TODAY
    elif (today - day).days == 1:
        prefix = YESTERDAY
    else:
        prefix = day_short(day)
    return _("{day} {time}").format(day=prefix, time=clock(moment))


OK_BUTTON = _("OK")


# ---- "Is my treatment working?" (the IMWG response the care team's results show) ---------------
RESPONSE_OPEN = _("Is my treatment working?")
RESPONSE_EMPTY = _(
    "No results to show yet. When your care team enters your myeloma tests (M-protein or free light "
    "chains), you will see here how they change."
)
RESPONSE_NOT_EVALUABLE = _(
    "Your care team cannot measure your response with these tests yet. Ask them which tests they follow for you."
)
RESPONSE_AS_OF = _("From your last sync: {when}. Works offline.")
RESPONSE_CATEGORIES_TITLE = _("What the words mean")
RESPONSE_YOURS_TITLE = _("Entered by you")
RESPONSE_YOURS_WAITING = _("waiting to send")
RESPONSE_YOURS_SENT = _("sent to your care team")
RESPONSE_YOURS_REFUSED = _("not accepted: see Messages")
RESPONSE_CAVEATS_TITLE = _("Good to know")
RESPONSE_CAVEATS = [
    _("Results go up and down a little from test to test. One result is not a trend."),
    _("A response is counted when two tests in a row show it: that is what 'confirmed' means."),
    _("MRD-negative (no myeloma cells found by the most sensitive tests) is a very good sign, but not a cure."),
    _("Talk to your care team about what your results mean for you."),
]
RESPONSE_TRACKED = {
    "serum": _("M-protein"),
    "urine": _("M-protein in your urine"),
    "flc": _("free light chain difference"),
    "marrow": _("myeloma cells in your bone marrow"),
}
RESPONSE_CATEGORY_NAMES = {
    "sCR": _("a stringent complete response"),
    "CR": _("a complete response"),
    "VGPR": _("a very good partial response"),
    "PR": _("a partial response"),
    "MR": _("a minimal response"),
    "SD": _("stable disease"),
    "PD": _("progression"),
    "NE": _("not measurable yet"),
}
RESPONSE_CATEGORY_HELP = [
    (
        "sCR",
        _(
            "Stringent complete response: no myeloma protein found by any test, normal light chains, "
            "and no myeloma cells in the marrow."
        ),
    ),
    (
        "CR",
        _(
            "Complete response: no myeloma protein found, even by the most sensitive blood and urine "
            "test, and very few myeloma cells in the marrow."
        ),
    ),
    ("VGPR", _("Very good partial response: the myeloma protein is down by 90% or more.")),
    ("PR", _("Partial response: the myeloma protein is down by half or more.")),
    ("MR", _("Minimal response: the myeloma protein is down by a quarter to a half.")),
    ("SD", _("Stable disease: not much change.")),
    ("PD", _("Progression: the myeloma protein is rising again. Your care team will talk with you about it.")),
]


def response_fallen(tracked: str, percent: int) -> str:
    return _("Your {tracked} has fallen {percent}% since you started.").format(tracked=tracked, percent=percent)


def response_risen(tracked: str, percent: int) -> str:
    return _("Your {tracked} has risen {percent}% since you started.").format(tracked=tracked, percent=percent)


def response_rose_from_lowest(tracked: str, lowest: str, latest: str, unit: str) -> str:
    return _("Your {tracked} has gone up from its lowest, {lowest} {unit}, to {latest} {unit}.").format(
        tracked=tracked, lowest=lowest, latest=latest, unit=unit
    )


def response_unchanged(tracked: str) -> str:
    return _("Your {tracked} is about where it was when you started.").format(tracked=tracked)


def response_confirmed(category: str, day: str) -> str:
    return _("Your care team calls this {category}, confirmed on {day}.").format(category=category, day=day)


def response_unconfirmed(category: str, day: str) -> str:
    return _("Your latest test, on {day}, looks like {category}. The next test will confirm it.").format(
        category=category, day=day
    )


RESPONSE_TEST_TITLE = _("Myeloma tests due")


def response_test_due(cycle: int, day: str) -> str:
    return _(
        "Your blood and urine tests for myeloma (M-protein and free light chains) are due at the start of "
        "cycle {cycle}, {day}. Your care team arranges them."
    ).format(cycle=cycle, day=day)


def response_test_overdue(day: str) -> str:
    return _("Your blood and urine tests for myeloma were due on {day}. Ask your care team when to have them.").format(
        day=day
    )


RESPONSE_PROGRESSION = _(
    "Your latest results suggest your myeloma may be becoming active again. Your care team has been told "
    "and will talk with you about it. Keep taking your medicines unless they tell you otherwise."
)
