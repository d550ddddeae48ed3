"""Add a lab result: analyte, value, unit (the one this patient used last for it), checked with the
server's own rules (`shared.lab_values`: unknown units, impossible values, the factor-of-1000
mix-up with the unit that was probably meant), then graded and evaluated at once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from mobile import strings as S
from mobile.journal import ItemError, Journal, json_number
from mobile.presenters.outcome import OK, Outcome, outcome, parse_number
from mobile.store import Store
from shared.analytes import ANALYTES
from shared.lab_grading import LabGrade
from shared.lab_values import LabValueError, parse_lab_value
from shared.markers import MARKERS, parse_marker_value

# The counts that matter most on IRd first; the rest as the lab report lists them.
ORDER = ("platelets", "anc", "hemoglobin", "wbc", "creatinine", "alt", "ast", "bilirubin", "alkaline_phosphatase")
# Myeloma response markers a patient may copy from a printed report (contract §5): they go to the
# care team as "entered by you" and count toward "Is my treatment working?" once they confirm them.
MARKER_KEYS = ("serum_m_protein", "urine_m_protein", "kappa_flc", "lambda_flc")


@dataclass(frozen=True)
class LabCheck:
    ok: bool
    problem: str = ""  # the shared rule's reason, when refused
    suggested_unit: str = ""  # unit key the value probably meant ("K/uL")
    suggested_label: str = ""  # how it reads ("K/µL")
    # Accepted, but the same number would also be possible in `suggested_unit`: ask to check it.
    unit_check: str = ""
    outcome: Outcome | None = None
    entry_id: str = ""


def analytes() -> list[tuple[str, str]]:
    keys = [k for k in ORDER if k in ANALYTES] + [k for k in ANALYTES if k not in ORDER]
    labs = [(k, S.ANALYTE_NAMES.get(k, S.tr(ANALYTES[k].name))) for k in keys]
    return labs + [(k, S.MARKER_NAMES[k]) for k in MARKER_KEYS]


def units(analyte: str) -> list[tuple[str, str]]:
    """(unit key sent to the server, label shown)."""
    if analyte in MARKER_KEYS:
        return [(u.key, u.display) for u in MARKERS[analyte].units]
    return [(u.key, u.display) for u in ANALYTES[analyte].units]


def unit_label(analyte: str, unit_key: str) -> str:
    unit = MARKERS[analyte].unit(unit_key) if analyte in MARKER_KEYS else ANALYTES[analyte].unit(unit_key)
    return unit.display if unit else unit_key


def _grade_text(grade: LabGrade) -> str:
    return S.grade_line(grade.grade)


def _ok_advice(grade: LabGrade) -> str:
    return S.LAB_IN_RANGE if grade.grade == 0 else S.LAB_OUT_NO_ALERT


class LabPresenter:
    def __init__(self, store: Store, journal: Journal) -> None:
        self.store = store
        self.journal = journal

    def default_unit(self, analyte: str) -> str:
        """The unit this patient used last for this analyte, else the first the lab usually prints."""
        last = self.store.get(f"last_unit:{analyte}")
        keys = [key for key, _ in units(analyte)]
        return last if last in keys else keys[0]

    def check(self, analyte: str, value_text: str, unit: str, collected_at: datetime, *, save: bool) -> LabCheck:
        number = parse_number(value_text)
        if number is None:
            return LabCheck(False, S.LAB_NOT_A_NUMBER)
        value = json_number(number)
        if analyte in MARKER_KEYS:
            return self._check_marker(analyte, value, unit, collected_at, save=save)
        try:
            # The value and unit first, alone: its error carries the unit the patient probably meant.
            parsed = parse_lab_value(analyte, value, unit)
        except LabValueError as exc:
            suggested = exc.suggested_unit or ""
            label = unit_label(analyte, suggested) if suggested else ""
            return LabCheck(False, S.tr(exc.message), suggested, label)
        try:
            if save:
                saved = self.journal.record_lab(analyte, value, unit, collected_at)
                result, entry_id = saved, saved.entry_id
            else:
                result, entry_id = self.journal.check_lab(analyte, value, unit, collected_at), ""
        except ItemError as exc:
            return LabCheck(False, " ".join(S.tr(m) for reasons in exc.errors.values() for m in reasons))
        doubt = parsed.unit_doubt
        return LabCheck(
            True,
            suggested_unit=doubt.key if doubt else "",
            suggested_label=doubt.display if doubt else "",
            unit_check=S.lab_check_unit(value_text.strip(), parsed.unit.display, doubt.display) if doubt else "",
            outcome=outcome(result.alert, _grade_text(result.grade), _ok_advice(result.grade)),
            entry_id=entry_id,
        )

    def _check_marker(
        self, marker: str, value: int | float, unit: str, collected_at: datetime, *, save: bool
    ) -> LabCheck:
        try:
            parse_marker_value(marker, value, unit)
            entry_id = self.journal.record_marker(marker, value, unit, collected_at) if save else ""
        except LabValueError as exc:  # the marker's own reason, with the unit probably meant
            suggested = exc.suggested_unit or ""
            return LabCheck(False, S.tr(exc.message), suggested, unit_label(marker, suggested) if suggested else "")
        except ItemError as exc:
            return LabCheck(False, " ".join(S.tr(m) for reasons in exc.errors.values() for m in reasons))
        return LabCheck(
            True, outcome=Outcome(OK, S.MARKER_SAVED_TITLE, "", S.MARKER_SAVED_ADVICE, call=False), entry_id=entry_id
        )
