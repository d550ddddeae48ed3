"""Recording what the patient enters: each entry is checked with the server's own parser
(`shared.sync_schema`), graded with the patient's sex and baselines (`shared.lab_context`, as the
last sync brought them) and evaluated with the server's own policy (`shared.alert_policy`: the
clinic's, as the last sync brought it, or the default before the first one), committed to the
outbox under a UUID made here, and only then handed to sync.

So the phone can tell the patient at once, offline, what the server will conclude: the grade, the
advice, which drug to hold. Kivy-free.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from mobile.store import Store
from shared import regimen
from shared.alert_policy import (
    DEFAULT_POLICY,
    AlertCandidate,
    AlertPolicy,
    evaluate_lab,
    evaluate_symptom,
    latest_anc_in_window,
    policy_from_wire,
)
from shared.lab_context import NO_CONTEXT, LabContext, context_from_wire
from shared.lab_grading import LabGrade
from shared.lab_values import LabValueError, parse_lab_value
from shared.markers import parse_marker_item
from shared.symptoms import SymptomGrade, grade_symptom
from shared.sync_schema import ItemError, parse_dose_item, parse_lab_item, parse_symptom_item

__all__ = ["ItemError", "Journal", "LabOutcome", "SymptomOutcome", "alert_summary", "json_number"]

# A check made while the patient is still typing is parsed under this id; nothing is saved under it.
_CHECK_ID = str(uuid.UUID(int=0))


@dataclass(frozen=True)
class LabOutcome:
    entry_id: str
    grade: LabGrade
    alert: AlertCandidate | None


@dataclass(frozen=True)
class SymptomOutcome:
    entry_id: str
    grade: SymptomGrade
    alert: AlertCandidate | None


def json_number(value: Decimal) -> int | float:
    """How a typed number travels in JSON: an int when whole, else the float whose repr is the
    typed text (the server reads floats by repr, so 49.9 stays 49.9)."""
    return int(value) if value == value.to_integral_value() else float(value)


def alert_summary(alert: AlertCandidate) -> dict[str, Any]:
    """What the phone keeps of its own evaluation, in the alert's wire field names."""
    return {
        "kind": alert.kind,
        "grade": alert.grade,
        "severity": alert.severity.value,
        "hold_drugs": list(alert.hold_drugs),
        "dose_hold": alert.dose_hold,
        "title": alert.title,
        "patient_advice": alert.patient_advice,
    }


class Journal:
    def __init__(
        self,
        store: Store,
        *,
        now: Callable[[], datetime],
        on_new_entry: Callable[[], None] = lambda: None,
        policy: AlertPolicy | None = None,
    ) -> None:
        """`policy`: a fixed policy; by default, the clinic's from the last sync (see `policy`)."""
        self.store = store
        self.now = now
        self.on_new_entry = on_new_entry
        self._fixed_policy = policy
        self._wire: str | None = None
        self._from_wire: AlertPolicy = DEFAULT_POLICY
        self._context_wire: str | None = None
        self._context: LabContext = NO_CONTEXT

    @property
    def policy(self) -> AlertPolicy:
        """The clinic's policy as the last sync answer carried it (`alert_policy`), so a stricter
        clinic's advice shows at once, offline; the default before the first sync, or if what was
        stored cannot be read (never milder than the default: `policy_from_wire`)."""
        if self._fixed_policy is not None:
            return self._fixed_policy
        raw = self.store.get("alert_policy")
        if raw != self._wire:  # read again only when a sync brought a new one
            try:
                data = json.loads(raw) if raw is not None else None
            except ValueError:
                data = None
            self._wire, self._from_wire = raw, policy_from_wire(data)
        return self._from_wire

    @property
    def lab_context(self) -> LabContext:
        """The patient's sex and baselines as the last sync answer carried them (`lab_context`), so a
        value is graded here as the server will grade it; none before the first sync, or if what was
        stored cannot be read (the x ULN rules and the stricter default limits: `context_from_wire`)."""
        raw = self.store.get("lab_context")
        if raw != self._context_wire:
            self._context_wire, self._context = raw, stored_lab_context(self.store)
        return self._context

    def _grade(self, lab: Any, collected_at: datetime) -> LabGrade:
        return self.lab_context.grade(lab, collected_at.date())

    # ---- checks without saving (for instant feedback while the patient answers) ---------------

    def check_lab(self, analyte: str, value: int | float, unit: str, collected_at: datetime) -> LabOutcome:
        """Raises ItemError with the server's reasons."""
        item = parse_lab_item(_lab_raw(_CHECK_ID, analyte, value, unit, collected_at), now=self.now())
        grade = self._grade(item.lab, collected_at)
        return LabOutcome("", grade, evaluate_lab(self.policy, item.lab, grade))

    def check_symptom(self, symptom: str, answers: Mapping[str, Any], reported_at: datetime) -> SymptomOutcome:
        item = parse_symptom_item(_symptom_raw(_CHECK_ID, symptom, answers, reported_at), now=self.now())
        grade = grade_symptom(item.symptom, item.answers)
        return SymptomOutcome("", grade, self._evaluate_symptom(item.symptom, grade, reported_at))

    # ---- recording ------------------------------------------------------------------------------

    def record_lab(self, analyte: str, value: int | float, unit: str, collected_at: datetime) -> LabOutcome:
        entry_id = str(uuid.uuid4())
        raw = _lab_raw(entry_id, analyte, value, unit, collected_at)
        item = parse_lab_item(raw, now=self.now())
        grade = self._grade(item.lab, collected_at)
        alert = evaluate_lab(self.policy, item.lab, grade)
        raw["analyte"], raw["unit"] = item.lab.analyte.key, item.lab.unit.key  # the spelling the server stores
        self._save(entry_id, "lab_results", raw, raw["collected_at"], alert)
        self.store.put(f"last_unit:{item.lab.analyte.key}", item.lab.unit.key)
        return LabOutcome(entry_id, grade, alert)

    def record_marker(self, marker: str, value: int | float, unit: str, collected_at: datetime) -> str:
        """A myeloma response marker from a printed report (contract §5's item, sync section
        `marker_results`): checked as the server checks it, the FLC mg/L-mg/dL trap included. It
        raises no alert on the phone; the care team's copy of the same test replaces it."""
        entry_id = str(uuid.uuid4())
        raw = {"id": entry_id, "marker": marker, "value": value, "unit": unit, "collected_at": collected_at.isoformat()}
        item = parse_marker_item(raw, now=self.now())
        raw["marker"], raw["unit"] = item.value.marker.key, item.value.unit.key if item.value.unit else unit
        self._save(entry_id, "marker_results", raw, raw["collected_at"], None)
        self.store.put(f"last_unit:{item.value.marker.key}", raw["unit"])
        return entry_id

    def record_symptom(self, symptom: str, answers: Mapping[str, Any], reported_at: datetime) -> SymptomOutcome:
        entry_id = str(uuid.uuid4())
        raw = _symptom_raw(entry_id, symptom, answers, reported_at)
        item = parse_symptom_item(raw, now=self.now())
        grade = grade_symptom(item.symptom, item.answers)
        alert = self._evaluate_symptom(item.symptom, grade, reported_at)
        self._save(entry_id, "symptom_reports", raw, raw["reported_at"], alert)
        return SymptomOutcome(entry_id, grade, alert)

    def record_dose(self, drug: str, status: str, taken_at: datetime) -> str:
        entry_id = str(uuid.uuid4())
        raw = {"id": entry_id, "drug": drug, "status": status, "taken_at": taken_at.isoformat()}
        parse_dose_item(raw, now=self.now())
        self._save(entry_id, "dose_logs", raw, raw["taken_at"], None)
        return entry_id

    def _evaluate_symptom(self, symptom: str, grade: SymptomGrade, reported_at: datetime) -> AlertCandidate | None:
        if grade.temperature_c is None:
            return evaluate_symptom(self.policy, symptom, grade)
        latest_anc, nadir_day = self.latest_anc(reported_at), self.nadir_day(reported_at)
        return evaluate_symptom(self.policy, symptom, grade, latest_anc=latest_anc, nadir_day=nadir_day)

    def nadir_day(self, reported_at: datetime) -> int | None:
        """The cycle day of `reported_at` on the patient's calendar when it is in the nadir window
        (days 14-21), as the server judges a fever (backend/alerts/fever_context.py); None outside
        it or before the regimen is known."""
        patient: Mapping[str, Any] = self.store.get_json("patient", {}) or {}
        raw: Mapping[str, Any] = self.store.get_json("regimen", {}) or patient.get("regimen") or {}
        tz_name = self.store.get("timezone") or raw.get("timezone") or patient.get("timezone") or "UTC"
        try:
            start = date.fromisoformat(str(raw.get("start_date")))
            on = reported_at.astimezone(ZoneInfo(str(tz_name))).date()
        except (ValueError, ZoneInfoNotFoundError):
            return None
        calendar = regimen.calendar_from_json(start, raw.get("cycle_delays"))  # the care team's delays
        cd = regimen.cycle_day(calendar, on)
        return cd.day if cd is not None and regimen.is_in_nadir_window(calendar, on) else None

    def latest_anc(self, reported_at: datetime) -> Decimal | None:
        """The latest ANC on this phone within the fever rule's window (×10^9/L)."""
        ancs: list[tuple[datetime, Decimal]] = []
        since = reported_at - self.policy.fever.anc_window - timedelta(days=1)
        for entry in self.store.entries("lab_results", since=since):
            if entry.item.get("analyte") != "anc":
                continue
            try:
                lab = parse_lab_value("anc", entry.item.get("value"), entry.item.get("unit"))
            except LabValueError:  # saved under older rules; the server has the final word on it
                continue
            ancs.append((datetime.fromisoformat(entry.at), lab.canonical_value))
        return latest_anc_in_window(self.policy, reported_at, ancs)

    # ---- helpers --------------------------------------------------------------------------------

    def _save(self, entry_id: str, section: str, raw: dict[str, Any], at: str, alert: AlertCandidate | None) -> None:
        self.store.add_entry(
            entry_id=entry_id,
            section=section,
            item=raw,
            at=at,
            created_at=self.now().isoformat(),
            local_alert=alert_summary(alert) if alert is not None else None,
        )
        self.on_new_entry()


def stored_lab_context(store: Store) -> LabContext:
    """The lab context the last sync stored (shared.lab_context), or none."""
    raw = store.get("lab_context")
    try:
        data = json.loads(raw) if raw is not None else None
    except ValueError:
        data = None
    return context_from_wire(data)


def _lab_raw(item_id: str, analyte: str, value: Any, unit: str, at: datetime) -> dict[str, Any]:
    return {"id": item_id, "analyte": analyte, "value": value, "unit": unit, "collected_at": at.isoformat()}


def _symptom_raw(item_id: str, symptom: str, answers: Mapping[str, Any], at: datetime) -> dict[str, Any]:
    return {"id": item_id, "symptom": symptom, "answers": dict(answers), "reported_at": at.isoformat()}
