"""Which readings raise an alert, how severe it is, which drugs the label says to hold, and what
to tell the patient and the nurse (contract §4).

The policy is data: one rule per lab analyte or symptom, each naming its source. Two thresholds
live on a rule and are kept apart on purpose: *when to alert* (a clinic may make it stricter)
and *when the label says to hold a drug* (fixed by the NINLARO label, never moved by a clinic).

Sources: NINLARO US prescribing information, Table 3 "Dose modification guidelines" (platelets
<30,000/mm³ and ANC <500/mm³ hold ixazomib and lenalidomide; rash grade 2–3 holds lenalidomide;
peripheral neuropathy grade 1 with pain or grade 2 holds ixazomib; other grade 3–4
non-hematologic toxicity holds ixazomib) via reference.md §1.4–1.5; CTCAE v5.0 (grades).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType

from shared.analytes import Unit
from shared.count_trends import CYCLE_START_LAB_WINDOW_DAYS, TrendWarning
from shared.cycle_readiness import Readiness
from shared.lab_grading import ALL_CRITERIA, Direction, LabGrade, Scale
from shared.lab_monitoring import OverdueCount
from shared.lab_values import LabValue
from shared.symptoms import SYMPTOMS, SymptomGrade


class Severity(StrEnum):
    URGENT = "urgent"
    CRITICAL = "critical"


IXAZOMIB = "ixazomib"
LENALIDOMIDE = "lenalidomide"
BOTH = (IXAZOMIB, LENALIDOMIDE)
DRUG_NAMES = {IXAZOMIB: "ixazomib (Ninlaro)", LENALIDOMIDE: "lenalidomide (Revlimid)"}


class PolicyError(ValueError):
    """A clinic override that would loosen the policy or does not name a rule."""


@dataclass(frozen=True)
class Trigger:
    """A grade at or above `min_grade`, or any of `flags` at or above its own minimum grade."""

    min_grade: int
    flags: Mapping[str, int] = field(default_factory=dict)

    def fires(self, grade: int, flags: frozenset[str]) -> bool:
        return grade >= self.min_grade or any(f in flags and grade >= g for f, g in self.flags.items())


@dataclass(frozen=True)
class LabRule:
    analyte: str
    kind: str
    alert: Trigger
    hold_drugs: tuple[str, ...] = ()
    hold_below: Decimal | None = None  # canonical unit: the label's hold threshold for a falling count
    hold_at: Trigger | None = None  # or a grade for a rising value
    hold_until: str = ""
    source: str = ""
    # The CTCAE criterion it answers (shared.lab_grading.ALL_CRITERIA), when not the analyte's main
    # one: "hemoglobin_increased", "leukocytosis".
    criterion: str = ""

    @property
    def key(self) -> str:
        """Its name in the policy (and in a clinic's overrides)."""
        return self.criterion or self.analyte


@dataclass(frozen=True)
class SymptomRule:
    symptom: str
    kind: str
    alert: Trigger
    hold_drugs: tuple[str, ...] = ()
    hold_at: Trigger | None = None
    critical_flags: frozenset[str] = frozenset()
    source: str = ""


@dataclass(frozen=True)
class FeverRule:
    threshold_c: Decimal = Decimal("38.0")
    neutropenic_anc_below: Decimal = Decimal("1.0")  # ×10^9/L
    anc_window: timedelta = timedelta(days=7)
    # A clinic's stricter choice (contract §4 allows it; issue 13 §3 asks for it): a fever in the
    # nadir window with no recent ANC is `critical`, treated as febrile neutropenia until an ANC is
    # done. Off by default: contract §4 keeps such a fever urgent for a clinic on the defaults.
    nadir_no_anc_critical: bool = False
    source: str = (
        "CareLoop contract §4; CTCAE v5.0 'Febrile neutropenia' (ANC <1000/mm³ with a "
        "temperature >38.3 °C once or ≥38 °C sustained; a patient's single reading of ≥38.0 "
        "is treated as positive: when in doubt, alert)"
    )


@dataclass(frozen=True)
class AlertPolicy:
    labs: Mapping[str, LabRule]
    symptoms: Mapping[str, SymptomRule]
    fever: FeverRule = FeverRule()


_TABLE3 = "NINLARO USPI Table 3 (dose modifications)"
_GRADE3 = Trigger(3)

DEFAULT_POLICY = AlertPolicy(
    labs=MappingProxyType(
        {
            r.key: r
            for r in (
                LabRule(
                    "platelets",
                    "thrombocytopenia",
                    _GRADE3,
                    BOTH,
                    hold_below=Decimal(30),
                    hold_until="platelets are back to 30 ×10⁹/L or more",
                    source=f"contract §4; {_TABLE3}: platelets <30,000/mm³ hold both",
                ),
                LabRule(
                    "anc",
                    "neutropenia",
                    _GRADE3,
                    BOTH,
                    hold_below=Decimal("0.5"),
                    hold_until="ANC is back to 0.5 ×10⁹/L or more",
                    source=f"contract §4; {_TABLE3}: ANC <500/mm³ hold both",
                ),
                # Beyond the contract's table, on the same label: grade 3 anemia ("transfusion indicated"),
                # grade 4 leukopenia, and grade 3–4 liver or kidney values ("other grade 3–4 toxicity").
                LabRule("hemoglobin", "anemia", _GRADE3, source="CTCAE v5.0 'Anemia' grade 3: transfusion indicated"),
                LabRule("wbc", "leukopenia", Trigger(4), source="CTCAE v5.0 'White blood cell decreased' grade 4"),
                # Dexamethasone raises both; neither is a toxicity the label holds a drug for.
                LabRule(
                    "hemoglobin",
                    "hemoglobin_increased",
                    _GRADE3,
                    source="CTCAE v5.0 'Hemoglobin increased' grade 3: more than 4 g/dL above ULN",
                    criterion="hemoglobin_increased",
                ),
                LabRule(
                    "wbc",
                    "leukocytosis",
                    _GRADE3,
                    source="CTCAE v5.0 'Leukocytosis' grade 3: more than 100 ×10⁹/L",
                    criterion="leukocytosis",
                ),
                *(
                    LabRule(
                        analyte,
                        kind,
                        _GRADE3,
                        (IXAZOMIB,),
                        hold_at=_GRADE3,
                        hold_until="your care team says so",
                        source=f"{_TABLE3}: other grade 3–4 non-hematologic toxicity hold ixazomib [P]; USPI §5.7",
                    )
                    for analyte, kind in (
                        ("alt", "hepatotoxicity"),
                        ("ast", "hepatotoxicity"),
                        ("bilirubin", "hepatotoxicity"),
                        ("alkaline_phosphatase", "hepatotoxicity"),
                        ("creatinine", "creatinine_increased"),
                    )
                ),
            )
        }
    ),
    symptoms=MappingProxyType(
        {
            r.symptom: r
            for r in (
                SymptomRule(
                    "peripheral_neuropathy",
                    "peripheral_neuropathy",
                    Trigger(2, {"pain": 1}),
                    (IXAZOMIB,),
                    hold_at=Trigger(2, {"pain": 1}),
                    source=f"contract §4; {_TABLE3}: grade 1 with pain or grade 2 hold ixazomib [U]",
                ),
                SymptomRule(
                    "rash",
                    "rash",
                    Trigger(2, {"blisters_or_peeling": 0}),
                    (LENALIDOMIDE,),
                    hold_at=Trigger(2, {"blisters_or_peeling": 0}),
                    critical_flags=frozenset({"blisters_or_peeling"}),
                    source=f"contract §4; {_TABLE3}: rash grade 2–3 hold lenalidomide [P]; USPI §5.5 (SJS)",
                ),
                *(
                    SymptomRule(
                        key,
                        key,
                        _GRADE3,
                        (IXAZOMIB,),
                        hold_at=_GRADE3,
                        source=f"contract §4; {_TABLE3}: other grade 3–4 non-hematologic toxicity hold ixazomib [P]",
                    )
                    for key in ("diarrhea", "nausea", "vomiting", "constipation", "edema")
                ),
            )
        }
    ),
)


@dataclass(frozen=True)
class AlertCandidate:
    kind: str
    grade: int | None
    severity: Severity
    hold_drugs: tuple[str, ...]
    title: str
    message: str  # for the nurse: precise
    patient_advice: str  # for the patient: plain words, what to do now
    source: str

    @property
    def dose_hold(self) -> bool:
        return bool(self.hold_drugs)


def _fmt(value: Decimal) -> str:
    return format(value.normalize(), "f")


# After every hold the label's Table 3 has the prescriber choose how to resume (after low
# platelets: lenalidomide at the next lower dose, ixazomib at its most recent dose, alternating on
# recurrence; reference.md §1.4-1.5). So the patient is never told a count or a grade at which to
# restart on their own: the care team decides when, and at what dose. The nurse's message keeps
# the label's threshold.
RESTART_WORDS = "Your care team will tell you when to start again and at what dose."


def _hold_words(drugs: tuple[str, ...]) -> str:
    names = " or ".join(DRUG_NAMES[d] for d in drugs)
    return f"Do not take {names} for now. {RESTART_WORDS}"


def _patient_advice(severity: Severity, hold: tuple[str, ...], extra: str) -> str:
    first = (
        "Call your care team now. If you cannot reach them, go to the emergency department."
        if severity is Severity.CRITICAL
        else "Your care team has been told and will contact you."
    )
    parts = [first]
    if hold:
        parts.append(_hold_words(hold))
    if extra:
        parts.append(extra)
    return " ".join(parts)


_LAB_ADVICE = {
    "thrombocytopenia": "Watch for bleeding, bruising or tiny red spots on the skin, and call at once if you see them.",
    "neutropenia": "Check your temperature twice a day; a temperature of 38 °C or more is an emergency.",
    "anemia": "Call at once if you feel short of breath, dizzy or your heart races.",
    "leukopenia": "Check your temperature twice a day; a temperature of 38 °C or more is an emergency.",
}


def evaluate_lab(policy: AlertPolicy, lab: LabValue, grade: LabGrade) -> AlertCandidate | None:
    rule = policy.labs.get(grade.criterion or lab.analyte.key)
    if rule is None or not rule.alert.fires(grade.grade, frozenset()):
        return None
    if rule.hold_below is not None:
        held = lab.canonical_value < rule.hold_below
    else:
        held = rule.hold_at is not None and rule.hold_at.fires(grade.grade, frozenset())
    hold = rule.hold_drugs if held else ()
    severity = Severity.CRITICAL if grade.grade >= 4 else Severity.URGENT
    reported = f"{_fmt(lab.value)} {lab.unit.display}"
    canonical_unit = lab.analyte.unit(lab.analyte.canonical_unit)
    canonical = (
        f"{_fmt(lab.canonical_value)} {canonical_unit.display if canonical_unit else lab.analyte.canonical_unit}"
    )
    value_text = reported if lab.unit.per_canonical == 1 else f"{reported} (= {canonical})"
    message = f"{lab.analyte.name} {value_text}: CTCAE v5.0 grade {grade.grade} '{grade.term}'{_why(lab, grade)}."
    if hold:
        message += f" Label: hold {' and '.join(hold)} until {rule.hold_until}."
    extra = _LAB_ADVICE.get(rule.kind, "")
    if lab.unit_doubt is not None:
        message += f" {_unit_doubt_note(lab, lab.unit_doubt)}"
        extra = f"{_PATIENT_UNIT_CHECK.format(unit=lab.unit.display, other=lab.unit_doubt.display)} {extra}".strip()
    title = f"Grade {grade.grade} {rule.kind.replace('_', ' ')}"
    advice = _patient_advice(severity, hold, extra)
    return AlertCandidate(rule.kind, grade.grade, severity, hold, title, message, advice, rule.source)


def _why(lab: LabValue, grade: LabGrade) -> str:
    """Which rule gave the grade, and the limit or baseline it was measured against."""
    criterion = ALL_CRITERIA.get(grade.criterion)
    direction = criterion.direction if criterion is not None else Direction.LOW
    limit = ""
    # Leukocytosis is a fixed count: the ULN plays no part, so it is not named.
    fixed_high = criterion is not None and direction is Direction.HIGH and criterion.scale is Scale.FIXED
    if grade.limit is not None and not fixed_high:
        which = "LLN" if direction is Direction.LOW else "ULN"
        origin = grade.limit_origin or ("lab's own" if grade.limit_is_reports_own else "CareLoop default")
        limit = f"{which} {_fmt(grade.limit)} {lab.unit.display}, {origin}"
    about = [limit] if limit else []
    baseline = grade.baseline
    if baseline is not None:
        when = f" of {baseline.on.isoformat()}" if baseline.on is not None else ""
        whose = {"lab": "the last before cycle 1 day 1", "entered": "entered by the care team"}.get(baseline.source)
        about.insert(0, f"baseline{when}" + (f", {whose}" if whose else ""))
    rule = f" by {grade.rule}" if grade.rule else ""
    return f"{rule} ({'; '.join(about)})" if about else rule


def _unit_doubt_note(lab: LabValue, other: Unit) -> str:
    return (
        f"Check the unit: graded as {_fmt(lab.value)} {lab.unit.display}, as typed; {_fmt(lab.value)} "
        f"{other.display} would be a very different count."
    )


_PATIENT_UNIT_CHECK = (
    "Check the unit on your lab report: this result is in {unit}. If the report says {other}, tell your care team."
)


def latest_anc_in_window(
    policy: AlertPolicy, reported_at: datetime, ancs: list[tuple[datetime, Decimal]]
) -> Decimal | None:
    """The latest ANC (canonical) collected within the window before `reported_at`, if any."""
    window_start = reported_at - policy.fever.anc_window
    eligible = [(at, value) for at, value in ancs if window_start <= at <= reported_at]
    if not eligible:
        return None
    latest = max(at for at, _ in eligible)
    return min(value for at, value in eligible if at == latest)  # two at once: the lower, to be safe


def evaluate_symptom(
    policy: AlertPolicy,
    symptom_key: str,
    grade: SymptomGrade,
    *,
    latest_anc: Decimal | None = None,
    nadir_day: int | None = None,
) -> AlertCandidate | None:
    """`latest_anc`: the patient's latest ANC (×10^9/L) collected within the fever rule's window
    before the report (see `latest_anc_in_window`); `nadir_day`: the cycle day of the report when
    it falls in the nadir window (days 14-21, `shared.regimen.is_in_nadir_window`), else None.
    Only fever reports use them."""
    if grade.temperature_c is not None:
        return _evaluate_fever(policy.fever, grade.temperature_c, latest_anc, nadir_day)
    rule = policy.symptoms.get(symptom_key)
    if rule is None or grade.grade is None or not rule.alert.fires(grade.grade, grade.flags):
        return None
    held = rule.hold_at is not None and rule.hold_at.fires(grade.grade, grade.flags)
    hold = rule.hold_drugs if held else ()
    critical = grade.grade >= 4 or bool(rule.critical_flags & grade.flags)
    severity = Severity.CRITICAL if critical else Severity.URGENT
    name = SYMPTOMS[symptom_key].name
    details = ", ".join(sorted(f.replace("_", " ") for f in grade.flags))
    message = f"Patient-reported {name.lower()}: CTCAE v5.0 grade {grade.grade}"
    message += f" ({details})." if details else "."
    if hold:
        message += f" Label: hold {' and '.join(hold)} until grade 1 or better."
    title = f"Grade {grade.grade} {name.lower()}"
    if "blisters_or_peeling" in grade.flags:
        title = f"{name} with blisters or peeling"
    advice = _patient_advice(severity, hold, "")
    return AlertCandidate(rule.kind, grade.grade, severity, hold, title, message, advice, rule.source)


#: A fever in the nadir window with no ANC to rule out neutropenia (issue 13 §3). The counts are
#: lowest on days 14-21 (NINLARO USPI §5.1), so CareLoop cannot tell this fever from febrile
#: neutropenia: it says so, asks the nurse for an ANC now and the patient to call now. Its kind
#: stays `fever` (febrile_neutropenia needs an ANC < 1.0 of the 7 days before) and, on the
#: defaults, its severity urgent (contract §4); a clinic that sets `nadir_no_anc_critical` makes
#: it critical. An ANC that comes back low turns it into febrile neutropenia.
PRECAUTION_SOURCE = (
    "CareLoop: fever with no ANC in the 7 days before, on days 14-21 (NINLARO USPI §5.1 nadir window): "
    "febrile neutropenia cannot be ruled out until an ANC is done"
)


def _evaluate_fever(
    rule: FeverRule, temperature: Decimal, latest_anc: Decimal | None, nadir_day: int | None = None
) -> AlertCandidate | None:
    if temperature < rule.threshold_c:
        return None
    temp = f"{_fmt(temperature)} °C"
    if latest_anc is None and nadir_day is not None:
        critical = rule.nadir_no_anc_critical
        return AlertCandidate(
            "fever",
            None,
            Severity.CRITICAL if critical else Severity.URGENT,
            (),
            "Fever in the nadir window, no recent ANC",
            f"Temperature {temp} on cycle day {nadir_day} (days 14-21, the nadir window) and no ANC collected "
            f"within {rule.anc_window.days} days before: febrile neutropenia cannot be ruled out. Get an ANC now."
            + (
                " Critical by the clinic's policy: treated as febrile neutropenia until an ANC is done."
                if critical
                else ""
            ),
            "Call your care team now or go to the emergency department: a fever in the weeks when your white "
            "cells may be low is treated as an emergency until a blood count shows otherwise. They will need a "
            "blood count today. Take this phone and your medicines with you.",
            PRECAUTION_SOURCE + ("; clinic policy: critical" if critical else ""),
        )
    if latest_anc is not None and latest_anc < rule.neutropenic_anc_below:
        return AlertCandidate(
            "febrile_neutropenia",
            None,
            Severity.CRITICAL,
            (),
            "Febrile neutropenia",
            f"Temperature {temp} with latest ANC {_fmt(latest_anc)} ×10⁹/L (< {_fmt(rule.neutropenic_anc_below)}, "
            f"collected within {rule.anc_window.days} days before).",
            "Call your care team now or go to the emergency department: a fever while your white cells "
            "are low is an emergency. Take this phone and your medicines with you.",
            rule.source,
        )
    anc_text = f"latest ANC {_fmt(latest_anc)} ×10⁹/L" if latest_anc is not None else "no ANC in the last 7 days"
    return AlertCandidate(
        "fever",
        None,
        Severity.URGENT,
        (),
        "Fever",
        f"Temperature {temp}; {anc_text}.",
        "Your care team has been told and will contact you. Call them now if you feel worse, shiver, or feel faint.",
        rule.source,
    )


# ---- between labs: alerts from periodic checks (issue 13 §3) ----------------------------------
# Each keeps the §4 shape: severity urgent, nothing held. They ask for a blood count; only a count
# that meets the label's Table 3 holds a drug.

_COUNT_NAMES = {"anc": "ANC", "platelets": "Platelets"}


def early_warning_alert(warning: TrendWarning, hold_below: Decimal) -> AlertCandidate:
    """A falling count (shared.count_trends): re-check before the next ixazomib day."""
    name = _COUNT_NAMES.get(warning.analyte, warning.analyte)
    when = _recheck_words(warning)
    latest, first = warning.latest, warning.first
    why = []
    if warning.fell_by is not None:
        why.append(
            f"fell {_fmt((warning.fell_by * 100).quantize(Decimal(1)))}% from {_fmt(first.value)} on "
            f"{first.on.isoformat()} (the cycle's first value) to {_fmt(latest.value)} ×10⁹/L on "
            f"{latest.on.isoformat()}"
        )
    if warning.projected is not None:
        why.append(
            f"on a straight line would be {_fmt(warning.projected.quantize(Decimal('0.01')))} ×10⁹/L on "
            f"{warning.recheck_before.isoformat()}, below the label's hold threshold of {_fmt(hold_below)}"
        )
    return AlertCandidate(
        "early_warning",
        None,
        Severity.URGENT,
        (),
        f"{name} falling: re-check before {when}",
        f"{name} {'; and '.join(why)}. No dose is held: re-check before {when} ({warning.recheck_before.isoformat()}).",
        "Your care team has been told your blood count is falling and may ask for a blood test before your "
        "next ixazomib dose. Keep taking your medicines as planned unless they tell you otherwise.",
        "CareLoop early warning (issue 13 §3): a fall of 50% or more from the cycle's first value, or a "
        "straight-line projection below the NINLARO USPI Table 3 hold threshold before the next ixazomib day",
    )


def _recheck_words(warning: TrendWarning) -> str:
    day = warning.recheck_day
    return f"day {day.day}" if day.cycle == warning.cycle else f"day {day.day} of cycle {day.cycle}"


def stale_labs_alert(overdue: OverdueCount) -> AlertCandidate:
    """No blood count within the monitoring schedule (shared.lab_monitoring)."""
    last = f"the last on {overdue.last_on.isoformat()}" if overdue.last_on else "none received yet"
    return AlertCandidate(
        "stale_labs",
        None,
        Severity.URGENT,
        (),
        "Blood count overdue",
        f"No ANC or platelet count since {overdue.due_on.isoformat()}, when one was due ({last}; the schedule "
        f"asks for one every {overdue.interval_days} days at this point of therapy).",
        "Your care team has been told your blood test results are overdue. If you had a blood test, enter the "
        "results in the app; if not, ask your care team when to have one.",
        "Revlimid USPI §5.3 (MM): blood counts weekly in cycles 1-2, days 1 and 15 of cycle 3, then every "
        "28 days [P]; NINLARO USPI §5.1: platelets at least monthly",
    )


def cycle_labs_missing_alert(readiness: Readiness) -> AlertCandidate:
    """A task for the nurse: day 1 is near and the counts the label asks for are not in."""
    counts = (c for c in readiness.criteria if c.key in ("anc", "platelets") and c.on is None)
    missing = " and ".join(_COUNT_NAMES[c.key] for c in counts)
    return AlertCandidate(
        "cycle_labs_missing",
        None,
        Severity.URGENT,
        (),
        f"Labs missing for cycle {readiness.cycle} day 1",
        f"Cycle {readiness.cycle} day 1 is on {readiness.day1.isoformat()}; no {missing} in the "
        f"{CYCLE_START_LAB_WINDOW_DAYS} days before it. The label asks for ANC ≥ 1.0 and platelets ≥ 75 ×10⁹/L "
        "before a new cycle starts: arrange a blood count.",
        "Your care team has been told your blood test before the next cycle is not in yet.",
        "NINLARO USPI §2.2: before a new cycle, ANC ≥ 1,000/mm³ and platelets ≥ 75,000/mm³",
    )


def with_overrides(base: AlertPolicy, overrides: Mapping[str, object]) -> AlertPolicy:
    """A clinic's stricter policy. `overrides` is
    `{"labs": {analyte: {"min_grade": n}}, "symptoms": {symptom: {"min_grade": n}},
      "fever": {"threshold_c": t, "nadir_no_anc_critical": true}}`; anything that would alert later
    or less urgently than `base` is refused.
    Hold thresholds are the label's and cannot be overridden."""
    unknown = set(overrides) - {"labs", "symptoms", "fever"}
    if unknown:
        raise PolicyError(f"Unknown policy section(s): {', '.join(sorted(unknown))}.")
    labs = dict(base.labs)
    for key, change in _section(overrides, "labs").items():
        if key not in labs:
            raise PolicyError(f"No lab rule for '{key}'.")
        labs[key] = replace(labs[key], alert=_stricter(labs[key].alert, change, f"labs.{key}"))
    symptoms = dict(base.symptoms)
    for key, change in _section(overrides, "symptoms").items():
        if key not in symptoms:
            raise PolicyError(f"No symptom rule for '{key}'.")
        symptoms[key] = replace(symptoms[key], alert=_stricter(symptoms[key].alert, change, f"symptoms.{key}"))
    fever = base.fever
    fever_change = overrides.get("fever")
    if fever_change is not None:
        if not isinstance(fever_change, Mapping) or set(fever_change) - {"threshold_c", "nadir_no_anc_critical"}:
            raise PolicyError("fever: only threshold_c and nadir_no_anc_critical can be set.")
        critical = fever_change.get("nadir_no_anc_critical", fever.nadir_no_anc_critical)
        if not isinstance(critical, bool):
            raise PolicyError("fever.nadir_no_anc_critical must be true or false.")
        if fever.nadir_no_anc_critical and not critical:
            raise PolicyError("fever.nadir_no_anc_critical cannot be turned off (stricter only).")
        fever = replace(fever, nadir_no_anc_critical=critical)
        raw = fever_change.get("threshold_c", fever.threshold_c)
        if isinstance(raw, bool) or not isinstance(raw, (int, float, Decimal)):
            raise PolicyError("fever.threshold_c must be a number of °C.")
        threshold = Decimal(str(raw))
        if not threshold.is_finite() or not Decimal("37.0") <= threshold <= fever.threshold_c:
            raise PolicyError(f"fever.threshold_c must be between 37.0 and {fever.threshold_c} °C (stricter only).")
        fever = replace(fever, threshold_c=threshold)
    return AlertPolicy(MappingProxyType(labs), MappingProxyType(symptoms), fever)


def _section(overrides: Mapping[str, object], name: str) -> Mapping[str, Mapping[str, object]]:
    section = overrides.get(name, {})
    if not isinstance(section, Mapping) or not all(isinstance(v, Mapping) for v in section.values()):
        raise PolicyError(f"{name} must map each key to an object.")
    return section


def _stricter(trigger: Trigger, change: Mapping[str, object], where: str) -> Trigger:
    if set(change) - {"min_grade"}:
        raise PolicyError(f"{where}: only min_grade can be set.")
    grade = change.get("min_grade", trigger.min_grade)
    if isinstance(grade, bool) or not isinstance(grade, int) or not 1 <= grade <= trigger.min_grade:
        raise PolicyError(f"{where}.min_grade must be a whole number from 1 to {trigger.min_grade} (stricter only).")
    return replace(trigger, min_grade=grade)


# ---- the wire form: a clinic's effective overrides, for the phone ------------------------------

WireForm = dict[str, dict[str, dict[str, int] | int | float | bool]]


def policy_to_wire(policy: AlertPolicy, base: AlertPolicy = DEFAULT_POLICY) -> WireForm:
    """How `policy` differs from `base`, in the shape `with_overrides` reads back: only the
    thresholds a clinic can move, only where they moved, so a default clinic's form is `{}`.
    Plain JSON (ints, floats, objects), the same for the same policy.

    Raises PolicyError if `policy` differs from `base` in anything a clinic cannot set (it was not
    made by `with_overrides`): a form that dropped the difference would tell the phone less."""
    wire: WireForm = {}
    for name, rules, base_rules in (
        ("labs", policy.labs, base.labs),
        ("symptoms", policy.symptoms, base.symptoms),
    ):
        if set(rules) != set(base_rules):
            raise PolicyError(f"{name}: the rules differ from the base policy's; only thresholds travel.")
        moved: dict[str, int] = {}
        for key in sorted(rules):
            rule, base_rule = rules[key], base_rules[key]
            if rule.alert.min_grade != base_rule.alert.min_grade:
                moved[key] = rule.alert.min_grade
            if replace(rule, alert=base_rule.alert) != base_rule:
                raise PolicyError(f"{name}.{key}: differs from the base in more than min_grade.")
        if moved:
            wire[name] = {key: {"min_grade": grade} for key, grade in moved.items()}
    unsettable = replace(
        policy.fever, threshold_c=base.fever.threshold_c, nadir_no_anc_critical=base.fever.nadir_no_anc_critical
    )
    if unsettable != base.fever:
        raise PolicyError("fever: differs from the base in more than threshold_c and nadir_no_anc_critical.")
    fever: dict[str, dict[str, int] | int | float | bool] = {}
    if policy.fever.threshold_c != base.fever.threshold_c:
        threshold = policy.fever.threshold_c
        fever["threshold_c"] = int(threshold) if threshold == threshold.to_integral_value() else float(threshold)
    if policy.fever.nadir_no_anc_critical != base.fever.nadir_no_anc_critical:
        fever["nadir_no_anc_critical"] = policy.fever.nadir_no_anc_critical
    if fever:
        wire["fever"] = fever
    return wire


def policy_from_wire(data: object, base: AlertPolicy = DEFAULT_POLICY) -> AlertPolicy:
    """The policy a phone should evaluate with, from the server's wire form. Never raises, and
    never alerts later than `base`: each override is applied on its own through `with_overrides`
    (stricter only), and one it cannot read (malformed, looser, or naming a rule or section this
    phone does not know, e.g. from a newer server) is left at `base`; anything that is not an
    object is `base` itself. When in doubt, alert."""
    if not isinstance(data, Mapping):
        return base
    policy = base
    for name in ("labs", "symptoms"):
        section = data.get(name)
        if not isinstance(section, Mapping):
            continue
        for key, change in section.items():
            policy = _applied(policy, {name: {key: change}})
    fever = data.get("fever")
    if isinstance(fever, Mapping):
        for key, value in fever.items():  # each on its own: one unreadable setting drops only itself
            policy = _applied(policy, {"fever": {key: value}})
    return policy


def _applied(policy: AlertPolicy, override: Mapping[str, object]) -> AlertPolicy:
    try:
        return with_overrides(policy, override)
    except (ValueError, TypeError, ArithmeticError):  # PolicyError is a ValueError
        return policy
