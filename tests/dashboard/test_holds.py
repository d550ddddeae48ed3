"""The label's holds in force, judged on the latest readings."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from backend.dashboard.holds import holds_in_force
from backend.records.models import LabResult, SymptomReport

NY = ZoneInfo("America/New_York")


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
