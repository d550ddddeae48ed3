"""What a lab grade depends on besides the value: the patient's sex (which of CareLoop's default
limits apply) and their baselines (CTCAE's "x baseline" arms, shared.lab_grading). The server
grades with it, and sends it in the sync answer (`lab_context`) so the phone grades alike, offline.

A baseline is the last value on or before cycle 1 day 1, or one the care team entered; only the
analytes whose CTCAE term has a baseline arm keep one (shared.lab_grading.BASELINE_ANALYTES).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from shared.analytes import Sex
from shared.lab_grading import BASELINE_ANALYTES, Baseline, LabGrade, grade_lab
from shared.lab_values import LabValue, LabValueError, parse_lab_value

SOURCE_LAB = "lab"  # the last reading on or before cycle 1 day 1
SOURCE_ENTERED = "entered"  # entered by the care team


@dataclass(frozen=True)
class LabContext:
    sex: Sex | None = None
    baselines: Mapping[str, Baseline] = field(default_factory=lambda: MappingProxyType({}))

    def grade(self, lab: LabValue, on: date | None = None) -> LabGrade:
        """`on`: the day the value was collected (the patient's zone). A baseline grades only values
        collected on a later day than its own, never itself nor anything before it."""
        baseline = self.baselines.get(lab.analyte.key)
        if baseline is not None and on is not None and baseline.on is not None and on <= baseline.on:
            baseline = None
        return grade_lab(lab, sex=self.sex, baseline=baseline)


NO_CONTEXT = LabContext()


def sex_parse(raw: object) -> Sex | None:
    """The sex given as "female" or "male"; None (not recorded) for None or "". Raises ValueError otherwise."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, str) and raw.strip().lower() in {s.value for s in Sex}:
        return Sex(raw.strip().lower())
    raise ValueError(f"Must be one of: {', '.join(s.value for s in Sex)}, or empty if not recorded.")


def baseline_parse(
    analyte: object,
    value: object,
    unit: object,
    reference_high: object = None,
    *,
    on: date | None = None,
    source: str = SOURCE_ENTERED,
) -> Baseline:
    """A baseline as the care team types it (or as a stored reading gives it), checked by the same
    rules as any reading. Raises LabValueError naming the field."""
    lab = parse_lab_value(analyte, value, unit, None, reference_high)
    if lab.analyte.key not in BASELINE_ANALYTES:
        names = ", ".join(BASELINE_ANALYTES)
        raise LabValueError("analyte", f"No baseline is used for {lab.analyte.name}. Use one of: {names}.")
    return Baseline(lab.analyte.key, lab.value, lab.unit, lab.reference_high, on, source)


# ---- the wire form (sync answer) -----------------------------------------------------------------


def _number(value: Decimal) -> int | float:
    # The phone reads floats by repr (shared.lab_values.to_decimal): 0.7 stays 0.7.
    return int(value) if value == value.to_integral_value() else float(value)


def context_to_wire(context: LabContext) -> dict[str, Any]:
    """Plain JSON, the same for the same context."""
    return {
        "sex": context.sex.value if context.sex is not None else None,
        "baselines": {
            key: {
                "value": _number(b.value),
                "unit": b.unit.key,
                "reference_high": None if b.reference_high is None else _number(b.reference_high),
                "on": b.on.isoformat() if b.on is not None else None,
                "source": b.source,
            }
            for key, b in sorted(context.baselines.items())
        },
    }


def context_from_wire(data: object) -> LabContext:
    """The context the phone grades with. Never raises: an unreadable sex is "not recorded" (the
    stricter defaults) and an unreadable baseline is left out (the x ULN rule alone), each on its own."""
    if not isinstance(data, Mapping):
        return NO_CONTEXT
    try:
        sex = sex_parse(data.get("sex"))
    except ValueError:
        sex = None
    baselines: dict[str, Baseline] = {}
    raw = data.get("baselines")
    for key, item in raw.items() if isinstance(raw, Mapping) else ():
        if not isinstance(item, Mapping):
            continue
        try:
            on = date.fromisoformat(item["on"]) if isinstance(item.get("on"), str) else None
            source = item.get("source") if isinstance(item.get("source"), str) else ""
            baseline = baseline_parse(key, item.get("value"), item.get("unit"), item.get("reference_high"), on=on)
        except (LabValueError, ValueError, TypeError, ArithmeticError):
            continue
        baselines[baseline.analyte] = Baseline(
            baseline.analyte, baseline.value, baseline.unit, baseline.reference_high, on, str(source)
        )
    return LabContext(sex, MappingProxyType(baselines))
