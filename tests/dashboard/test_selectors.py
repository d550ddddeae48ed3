"""Dashboard selectors that stand alone: label holds in force, escalation, queue versions."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.test import override_settings

from backend.accounts.models import Clinic
from backend.alerts.models import Alert, Status
from backend.dashboard.selectors import escalation_of, holds_in_force, version_time
from backend.records.models import LabResult, SymptomReport

NY = ZoneInfo("America/New_York")
START = date(2026, 11, 1)


def alert(status: str, minutes_ago: int, severity: str = "critical") -> Alert:
    at = datetime(2026, 11, 20, 12, tzinfo=UTC) - timedelta(minutes=minutes_ago)
    return Alert(status=status, created_at=at, severity=severity)


def lab(analyte: str, value: str, day: int, grade: int) -> LabResult:
    at = datetime(2026, 11, day, 8, tzinfo=NY)
    return LabResult(
        analyte=analyte,
        value=Decimal(value),
        unit="10^9/L",
        canonical_value=Decimal(value),
        collected_at=at,
        grade=grade,
        graded_at=at,
    )


def report(symptom: str, answers: dict[str, object], day: int, grade: int) -> SymptomReport:
    at = datetime(2026, 11, day, 19, tzinfo=NY)
    return SymptomReport(symptom=symptom, answers=answers, reported_at=at, grade=grade, graded_at=at)


def test_the_latest_count_decides_the_label_hold() -> None:
    held = holds_in_force(
        tz=NY, labs={"platelets": [lab("platelets", "80", 1, 1), lab("platelets", "22", 20, 4)]}, symptoms=[]
    )
    assert [(h.drug, h.since.day) for h in held] == [("ixazomib", 20), ("lenalidomide", 20)]
    assert held[0].reasons == ("Platelets 22 ×10⁹/L on 20 Nov: hold until platelets are back to 30 ×10⁹/L or more",)
    # A count of 30 or more afterwards lifts it (grade 3 still alerts, but the label no longer holds).
    recovered = [lab("platelets", "22", 20, 4), lab("platelets", "30", 22, 3)]
    assert holds_in_force(tz=NY, labs={"platelets": recovered}, symptoms=[]) == []


def test_symptom_holds_follow_the_latest_report_including_its_flags() -> None:
    painful = report("peripheral_neuropathy", {"severity": "mild", "pain": True}, 18, 1)
    assert [h.drug for h in holds_in_force(tz=NY, labs={}, symptoms=[painful])] == ["ixazomib"]
    better = report("peripheral_neuropathy", {"severity": "mild", "pain": False}, 21, 1)
    assert holds_in_force(tz=NY, labs={}, symptoms=[painful, better]) == []


def test_two_rules_holding_one_drug_give_both_reasons() -> None:
    held = holds_in_force(
        tz=NY,
        labs={"anc": [lab("anc", "0.4", 19, 4)]},
        symptoms=[report("diarrhea", {"stools_above_usual": 8}, 20, 3)],
    )
    ixazomib = next(h for h in held if h.drug == "ixazomib")
    assert ixazomib.reasons == (
        "Diarrhea grade 3 on 20 Nov: hold until grade 1 or better",
        "Neutrophils (absolute) 0.4 ×10⁹/L on 19 Nov: hold until ANC is back to 0.5 ×10⁹/L or more",
    )


@override_settings(CARELOOP_ESCALATION_MINUTE_SECONDS=60)
def test_escalation_counts_down_to_the_next_step_of_the_ladder() -> None:
    clinic = Clinic(escalation_critical_minutes=15, escalation_urgent_minutes=120)
    now = datetime(2026, 11, 20, 12, tzinfo=UTC)
    open_critical = escalation_of(alert=alert(Status.OPEN, 5), clinic=clinic, now=now)
    assert (open_critical.remaining, open_critical.overdue, open_critical.level) == (timedelta(minutes=10), False, 0)
    late_urgent = escalation_of(alert=alert(Status.OPEN, 130, "urgent"), clinic=clinic, now=now)
    assert late_urgent.remaining == timedelta(minutes=-10) and late_urgent.overdue
    # Once every nurse has been told again (level 1), the next step is the on-call contact at 2 × target.
    told = alert(Status.OPEN, 20)
    told.escalation_level = 1
    assert escalation_of(alert=told, clinic=clinic, now=now).remaining == timedelta(minutes=10)
    told.escalation_level = 2
    assert escalation_of(alert=told, clinic=clinic, now=now).done


@override_settings(CARELOOP_ESCALATION_MINUTE_SECONDS=60)
def test_escalation_stops_when_acknowledged_and_can_be_off() -> None:
    now = datetime(2026, 11, 20, 12, tzinfo=UTC)
    clinic = Clinic(escalation_critical_minutes=15, escalation_urgent_minutes=0)
    assert escalation_of(alert=alert(Status.ACKNOWLEDGED, 130), clinic=clinic, now=now).deadline is None
    off = escalation_of(alert=alert(Status.OPEN, 5, "urgent"), clinic=clinic, now=now)
    assert off.deadline is None and not off.done


def test_a_version_tells_the_moment_the_screen_had_seen() -> None:
    assert version_time("1763640000.000000-4") == datetime(2025, 11, 20, 12, tzinfo=UTC)
    assert version_time("0.000000-0") is None and version_time("garbage") is None
