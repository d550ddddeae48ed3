"""Which drugs the NINLARO label says to withhold now, judged in Python on the readings the patient
page already read."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from backend.dashboard.wording import analyte_name, lab_value_text, symptom_name
from backend.records.models import LabResult, SymptomReport
from shared.alert_policy import DEFAULT_POLICY
from shared.symptoms import grade_symptom


@dataclass(frozen=True)
class Hold:
    """A drug the label says to withhold now, and the latest readings that say so."""

    drug: str
    reasons: tuple[str, ...]
    since: datetime


def holds_in_force(
    *, labs: Mapping[str, Sequence[LabResult]], symptoms: Sequence[SymptomReport], tz: ZoneInfo
) -> list[Hold]:
    """What the NINLARO label says to withhold now, judged on each rule's latest reading: platelets
    under 30 ×10⁹/L hold ixazomib and lenalidomide until a later count is 30 or more; a symptom's hold
    lasts until a later report of it no longer meets the hold rule. The hold thresholds are the
    label's (shared.alert_policy.DEFAULT_POLICY), which no clinic setting moves. Resolving an alert
    does not lift a hold: a recovered reading does."""
    found: dict[str, list[tuple[datetime, str]]] = defaultdict(list)
    for analyte, rule in DEFAULT_POLICY.labs.items():
        rows = [lab for lab in labs.get(analyte, ()) if lab.graded_at is not None]
        if not rule.hold_drugs or not rows:
            continue
        latest = max(rows, key=lambda lab: lab.collected_at)
        if rule.hold_below is not None:
            held = latest.canonical_value < rule.hold_below
        else:
            held = (
                rule.hold_at is not None and latest.grade is not None and rule.hold_at.fires(latest.grade, frozenset())
            )
        if held:
            on = latest.collected_at.astimezone(tz)
            reason = (
                f"{analyte_name(analyte)} {lab_value_text(latest)} on {on.day} {on:%b}: hold until {rule.hold_until}"
            )
            for drug in rule.hold_drugs:
                found[drug].append((latest.collected_at, reason))
    for key, srule in DEFAULT_POLICY.symptoms.items():
        reports = [r for r in symptoms if r.symptom == key and r.grade is not None]
        if not srule.hold_drugs or srule.hold_at is None or not reports:
            continue
        report = max(reports, key=lambda r: r.reported_at)
        assert report.grade is not None
        try:
            flags = grade_symptom(key, report.answers).flags
        except (KeyError, TypeError, ValueError):  # answers stored before a schema change: grade alone
            flags = frozenset()
        if srule.hold_at.fires(report.grade, flags):
            on = report.reported_at.astimezone(tz)
            reason = f"{symptom_name(key)} grade {report.grade} on {on.day} {on:%b}: hold until grade 1 or better"
            for drug in srule.hold_drugs:
                found[drug].append((report.reported_at, reason))
    return [
        Hold(drug, tuple(reason for _, reason in sorted(items, reverse=True)), max(at for at, _ in items))
        for drug, items in sorted(found.items())
    ]
