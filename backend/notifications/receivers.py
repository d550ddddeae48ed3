"""Notifications' answers to the events of the layers below (backend/patients/events.py,
backend/caregivers/events.py, backend/core/events.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from backend.accounts.models import Role, User
from backend.notifications.models import Preference
from backend.notifications.services import InboxItem, deliveries_cancel_about, notify_many
from backend.patients.models import Patient


def on_timezone_changed(*, patient: Patient, old_zone: str, new_zone: str, **_: Any) -> None:
    """Quiet hours that followed the patient's zone (it is their default) move with it; a zone the
    patient chose for them on purpose stays."""
    Preference.objects.filter(user_id=patient.user_id, timezone=old_zone).update(timezone=new_zone)


def on_link_revoked(*, caregiver_id: int, patient_id: UUID, **_: Any) -> None:
    """Whatever still waits to tell the caregiver about this patient is cancelled with the link."""
    deliveries_cancel_about(recipient_id=caregiver_id, patient_id=patient_id)


_BUDGETS = {"codes": "enrollment or caregiver invitation codes", "sign-in": "sign-ins with a password"}


def on_requests_throttled(*, budget: str, reach: str, address: str, rate: str, now: datetime, **_: Any) -> None:
    """A burst of attempts at codes or passwords tells every clinic admin once per window: a
    wrong code names no clinic, and whoever guesses codes guesses at all of them."""
    what = _BUDGETS.get(budget, budget)
    who = f"from the address {address}" if reach == "address" else f"from many addresses (the last: {address})"
    body = (
        f"More than {rate} attempts at {what} came {who} at {now:%Y-%m-%d %H:%M} UTC; the extra ones were "
        "refused and stored nothing. Someone may be guessing. If it goes on, block the address at the proxy."
    )
    window = int(now.timestamp()) // 900  # at most one notice per admin, budget and source per 15 minutes
    items = [
        InboxItem(
            recipient=admin,
            kind="security",
            title="Many attempts at codes or passwords were refused",
            body=body,
            dedupe_key=f"throttled:{budget}:{reach}:{address if reach == 'address' else ''}:{window}",
        )
        for admin in User.objects.filter(role=Role.ADMIN, is_active=True)
    ]
    notify_many(items=items, now=now)
