"""Which drugs the NINLARO label says to withhold now, derived from the patient's episodes (alerts),
so that the patient page, the queue's chips and the phone never contradict each other: grading keeps
each alert's holds in force (backend.alerts.episodes), following the latest reading of what held it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from backend.alerts.models import UNRESOLVED, Alert, SourceType
from backend.dashboard.clinical_terms import alert_title
from backend.dashboard.wording import translated_reading
from shared.alert_policy import DEFAULT_POLICY

SYMPTOM_HOLD_UNTIL = gettext_lazy("grade 1 or better")
# The lab rules' hold_until words (shared.alert_policy), in the reader's language.
HOLD_UNTIL_WORDS = {
    "platelets are back to 30 ×10⁹/L or more": gettext_lazy("platelets are back to 30 ×10⁹/L or more"),
    "ANC is back to 0.5 ×10⁹/L or more": gettext_lazy("ANC is back to 0.5 ×10⁹/L or more"),
    "your care team says so": gettext_lazy("your care team says so"),
}


@dataclass(frozen=True)
class Hold:
    """A drug the label says to withhold now, and the latest readings that say so."""

    drug: str
    reasons: tuple[str, ...]
    since: datetime


@dataclass(frozen=True)
class Lift:
    """A later reading that lifted an open episode's hold."""

    drugs: tuple[str, ...]
    text: str  # "Platelets 80 ×10⁹/L on 22 Nov"
    alert_title: str


def _on(observed_at: object, tz: ZoneInfo) -> tuple[datetime, str]:
    at = datetime.fromisoformat(str(observed_at))
    return at, formats.date_format(at.astimezone(tz), "j M")


def _until(source_type: object, key: str) -> str:
    rule = DEFAULT_POLICY.labs.get(key) if source_type == SourceType.LAB_RESULT else None
    if rule is None:
        return str(SYMPTOM_HOLD_UNTIL)
    return str(HOLD_UNTIL_WORDS.get(rule.hold_until, rule.hold_until))


def holds_in_force(*, alerts: Iterable[Alert], tz: ZoneInfo) -> list[Hold]:
    """The holds in force of the patient's alerts, whatever their status (resolving an alert does
    not lift a hold: a recovered reading does), each drug with the readings that hold it, newest
    first. A superseded alert never holds."""
    found: dict[str, dict[str, tuple[datetime, str]]] = defaultdict(dict)
    for alert in alerts:
        if alert.superseded or not alert.holds_in_force:
            continue
        for key, hold in alert.holds.items():
            if not hold.get("drugs"):
                continue
            at, day = _on(hold["observed_at"], tz)
            reason = _("%(value)s on %(day)s: hold until %(until)s") % {
                "value": translated_reading(str(hold["value"])),
                "day": day,
                "until": _until(hold.get("type"), key),
            }
            for drug in hold["drugs"]:
                found[drug][str(hold["id"])] = (at, reason)
    holds = []
    for drug, by_reading in sorted(found.items()):
        newest_first = sorted(by_reading.values(), reverse=True)
        holds.append(Hold(drug, tuple(reason for _at, reason in newest_first), newest_first[0][0]))
    return holds


def hold_lifts(*, alerts: Iterable[Alert], tz: ZoneInfo) -> list[Lift]:
    """The readings that lifted a hold of an open or acknowledged alert: what the nurse should know
    before resuming a drug."""
    lifts: dict[str, Lift] = {}
    for alert in alerts:
        if alert.status not in UNRESOLVED or alert.superseded:
            continue
        for lift in alert.hold_lifts:
            _lifted_at, day = _on(lift["observed_at"], tz)
            lifts.setdefault(
                str(lift["id"]),
                Lift(
                    tuple(str(d) for d in lift.get("lifted") or ()),
                    _("%(value)s on %(day)s") % {"value": translated_reading(str(lift["value"])), "day": day},
                    alert_title(alert.title),
                ),
            )
    return list(lifts.values())
