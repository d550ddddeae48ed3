"""Caregivers: an invitation code with the scopes the patient chose (contract §2), the people who
accepted one, and revoking them. The endpoints may not exist on the server yet: say so plainly."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mobile import strings as S
from mobile.api import ApiError, NotAvailable, Unreachable

SCOPES = ("critical_alerts", "all_alerts", "missed_doses", "daily_summary")
DEFAULT_SCOPES = ("critical_alerts",)


@dataclass(frozen=True)
class Invite:
    code: str
    scopes: str


@dataclass(frozen=True)
class CaregiverRow:
    id: str
    name: str
    scopes: str


def scope_options() -> list[tuple[str, str]]:
    return [(s, S.CARE_SCOPES[s]) for s in SCOPES]


def scopes_text(scopes: Sequence[str]) -> str:
    return ", ".join(S.CARE_SCOPES.get(s, s) for s in scopes)


def check_scopes(chosen: Sequence[str]) -> str:
    """'' when the choice can be sent, else what to do."""
    return "" if any(s in SCOPES for s in chosen) else S.CARE_PICK_ONE


def invite(answer: Mapping[str, Any], chosen: Sequence[str]) -> Invite:
    scopes = answer.get("scopes")
    return Invite(str(answer.get("code") or ""), scopes_text(scopes if isinstance(scopes, list) else chosen))


def caregivers(rows: list[dict[str, Any]]) -> list[CaregiverRow]:
    found: list[CaregiverRow] = []
    for row in rows:
        if row.get("active") is False or row.get("revoked_at"):
            continue  # the server lists revoked links too, for the record
        name = row.get("display_name") or row.get("name") or row.get("username") or ""
        scopes = row.get("scopes")
        found.append(
            CaregiverRow(str(row.get("id") or ""), str(name), scopes_text(scopes if isinstance(scopes, list) else []))
        )
    return found


def error_text(exc: Exception) -> str:
    if isinstance(exc, NotAvailable):
        return S.CARE_UNAVAILABLE
    if isinstance(exc, Unreachable):
        return S.CARE_OFFLINE
    if isinstance(exc, ApiError):
        return " ".join(S.tr(m) for reasons in exc.errors.values() for m in reasons) or S.CARE_UNAVAILABLE
    return S.CARE_UNAVAILABLE
