"""Every English text shared/ can put before a patient or a caregiver, found by running shared/'s
own code over its inputs (not by reading its source): the symptom questions and their answers, the
analytes' names, the food rules, every reminder's title and text, and every alert's title and
advice the default policy can raise. The i18n tests check each is in every language's catalog."""

from __future__ import annotations

import itertools
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from shared import regimen, rems
from shared import reminders as R
from shared.alert_policy import (
    DEFAULT_POLICY,
    AlertCandidate,
    cycle_labs_missing_alert,
    early_warning_alert,
    evaluate_lab,
    evaluate_symptom,
    stale_labs_alert,
)
from shared.analytes import ANALYTES
from shared.count_trends import Count, TrendWarning
from shared.cycle_readiness import Criterion, Readiness
from shared.lab_grading import grade_lab
from shared.lab_monitoring import OverdueCount
from shared.lab_values import LabValueError, parse_lab_value
from shared.markers import MARKERS, MarkerValueError, parse_marker_value
from shared.regimen import CycleDay
from shared.response_tests import NextTest
from shared.symptoms import SYMPTOMS, Kind, SymptomError, grade_symptom, validate_answers


def symptom_texts() -> set[str]:
    found: set[str] = set()
    for symptom in SYMPTOMS.values():
        found.add(symptom.name)
        for q in symptom.questions:
            found.add(q.text)
            if q.kind is Kind.CHOICE:
                found.update(str(label) for label in (q.choice_labels or q.choices))
    return found


def analyte_names() -> set[str]:
    return {analyte.name for analyte in ANALYTES.values()}


def food_rules() -> set[str]:
    schedules = [*regimen.IRD_SCHEDULE, regimen.ANTIVIRAL_PROPHYLAXIS]
    return {s.food_rule for s in schedules} | set(R.FOOD_RULES.values()) | {R._DEXAMETHASONE_WITH_IXAZOMIB}


def reminder_texts() -> set[str]:
    found = set(R._TITLES.values()) | {t for pair in rems.TEXTS.values() for t in pair}
    for cycle, reason in itertools.product((1, 2, 5), ("cycle_start", "monitoring", "nadir")):
        found.add(R._lab_text(R.LabDraw(date(2026, 1, 1), cycle, reason)))
    found.add(R.response_test_text(NextTest(4, date(2026, 3, 8), False)))
    for drug in ("", "acyclovir", "valacyclovir"):
        plan = R.ReminderPlan(antiviral_drug=drug)
        found.add(R._antiviral_text(plan))
    return found


def _symptom_answers(symptom_key: str) -> list[dict[str, object]]:
    """Every combination of the choice and yes/no answers (counts and numbers at a few values)."""
    axes: list[list[tuple[str, object]]] = []
    for q in SYMPTOMS[symptom_key].questions:
        if q.kind is Kind.CHOICE:
            values: list[object] = list(q.choices)
        elif q.kind is Kind.YES_NO:
            values = [False, True]
        else:
            values = [0, 2, 5, 8, 12] if symptom_key != "fever" else [37.5, 38.0, 39.5]
        axes.append([(q.key, v) for v in values] + ([] if q.required else [(q.key, None)]))
    combos = []
    for combo in itertools.product(*axes):
        combos.append({k: v for k, v in combo if v is not None})
    return combos


def alert_candidates() -> list[AlertCandidate]:
    found: list[AlertCandidate] = []
    for key in SYMPTOMS:
        for answers in _symptom_answers(key):
            try:
                _, valid = validate_answers(key, answers)
            except SymptomError:
                continue
            grade = grade_symptom(key, valid)
            for anc, nadir in ((None, None), (None, 16), (Decimal("0.4"), None), (Decimal("2.0"), None)):
                candidate = evaluate_symptom(DEFAULT_POLICY, key, grade, latest_anc=anc, nadir_day=nadir)
                if candidate is not None:
                    found.append(candidate)
    for analyte in ANALYTES.values():
        for unit in (u.key for u in analyte.units):
            for raw in ("0.1", "0.4", "0.9", "5", "20", "40", "45", "60", "90", "150", "400", "900", "4000", "9000"):
                try:
                    lab = parse_lab_value(analyte.key, Decimal(raw), unit)
                except LabValueError:
                    continue
                candidate = evaluate_lab(DEFAULT_POLICY, lab, grade_lab(lab))
                if candidate is not None:
                    found.append(candidate)
    return found + between_labs_candidates()


def between_labs_candidates() -> list[AlertCandidate]:
    """The alerts periodic checks raise (a falling count, an overdue count, labs missing for day 1)."""
    on = date(2026, 3, 2)
    found = [
        stale_labs_alert(OverdueCount(last_on=last, due_on=on, days_overdue=2, interval_days=7))
        for last in (None, date(2026, 2, 20))
    ]
    found += [
        cycle_labs_missing_alert(Readiness(3, on, tuple(Criterion(key, key, False, "", None) for key in keys)))
        for keys in (("anc",), ("platelets",), ("anc", "platelets"))
    ]
    for analyte, (cycle, day) in itertools.product(("anc", "platelets"), ((2, 8), (3, 1))):
        first, latest = Count(date(2026, 2, 1), Decimal(200)), Count(date(2026, 2, 6), Decimal(90))
        warning = TrendWarning(analyte, 2, first, latest, Decimal("0.55"), None, on, CycleDay(cycle, day))
        found.append(early_warning_alert(warning, Decimal(30)))
    return found


def missed_dose_reasons() -> set[str]:
    """The missed-dose rule's answers (the server's nudge quotes them): still in time, too late, vomited."""
    zone = ZoneInfo("America/New_York")
    start, missed = date(2026, 3, 2), date(2026, 3, 2)  # day 1: an ixazomib day
    found = set()
    for hours_later, vomited in ((10, False), (120, False), (10, True)):
        now = datetime.combine(missed, time(9), zone) + timedelta(hours=hours_later)
        advice = regimen.ixazomib_missed_dose_advice(
            start_date=start, missed_on=missed, now=now, dose_time=time(9), tz=zone, vomited=vomited
        )
        found.add(advice.reason)
    return found


def value_errors() -> set[str]:
    """Why a typed lab or marker value is refused (the phone shows it under the field): negative, a
    fraction of a cell, far too low per µL, impossible, with the unit probably meant."""
    found: set[str] = set()
    raws = ("-1", "0", "0.5", "3", "0.001", "0.12345", "12.5", "20", "45000", "250000", "999999")
    for analyte in ANALYTES.values():
        for unit, raw in itertools.product(analyte.units, raws):
            try:
                parse_lab_value(analyte.key, Decimal(raw), unit.key)
            except LabValueError as exc:
                found.add(exc.message)
    for marker in MARKERS.values():
        for unit, raw in itertools.product(marker.units, raws):
            try:
                parse_marker_value(marker.key, Decimal(raw), unit.key)
            except MarkerValueError as exc:
                found.add(exc.message)
    return found


def plan_errors() -> set[str]:
    """Why the phone refuses a reminder time moved on Settings (mobile.reminders.shifted): ixazomib
    beside dexamethasone, or two antiviral times at once."""
    found: set[str] = set()
    for changes in ({"ixazomib_time": time(9, 0), "dexamethasone_time": time(9, 30)},
                    {"antiviral_times": (time(8, 0), time(8, 0))}):  # fmt: skip
        try:
            R.ReminderPlan(**changes)  # type: ignore[arg-type]
        except R.ReminderPlanError as exc:
            found.add(exc.message)
    assert len(found) == 2
    return found


def advice_texts() -> set[str]:
    return {c.patient_advice for c in alert_candidates()}


def alert_titles() -> set[str]:
    return {c.title for c in alert_candidates()}


def phone_texts() -> set[str]:
    """What the phone passes to tr() from shared/."""
    return (
        symptom_texts()
        | analyte_names()
        | food_rules()
        | reminder_texts()
        | advice_texts()
        | alert_titles()
        | value_errors()
        | plan_errors()
    )


def message_texts() -> set[str]:
    """What the server's messages to patients and caregivers quote from shared/."""
    return reminder_texts() | advice_texts() | alert_titles() | missed_dose_reasons()
