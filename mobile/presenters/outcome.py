"""What a result means for the patient, worded the same way on every screen: a level with a word
and an icon, the CTCAE grade in plain words, the advice from `shared.alert_policy`, and whether to
call now."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from mobile import strings as S
from mobile.presenters.banners import CRITICAL, ICONS, OK, URGENT
from shared.alert_policy import AlertCandidate, Severity


@dataclass(frozen=True)
class Outcome:
    level: str  # critical, urgent or ok
    headline: str
    grade_text: str
    advice: str
    call: bool
    hold_drugs: tuple[str, ...] = ()

    @property
    def icon(self) -> str:
        return ICONS[self.level]


def outcome(alert: AlertCandidate | None, grade_text: str, ok_advice: str) -> Outcome:
    if alert is None:
        return Outcome(OK, S.SEVERITY_OK, grade_text, ok_advice, call=False)
    critical = alert.severity is Severity.CRITICAL
    word = S.SEVERITY_CRITICAL if critical else S.SEVERITY_URGENT
    return Outcome(
        CRITICAL if critical else URGENT,
        f"{word}: {S.alert_title(alert.kind, alert.title)}",
        grade_text,
        S.tr(alert.patient_advice),
        call=critical,
        hold_drugs=alert.hold_drugs,
    )


def parse_number(text: str) -> Decimal | None:
    """A number as a person types it: '42', '9.5', '9,5' (decimal comma), ' 37.8 '. None if not one."""
    cleaned = text.strip().replace(" ", "").replace(",", ".")
    if not cleaned or cleaned.count(".") > 1:
        return None
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None
