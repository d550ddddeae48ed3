"""Who has taken an alert on: a nurse assigns it to herself or to a colleague of her clinic, or
hands it back (nobody). Two nurses clicking at once cannot both win: the change is one conditional
UPDATE on the assignee the nurse saw."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from backend.accounts.models import STAFF_ROLES, User
from backend.alerts.models import UNRESOLVED, Alert
from backend.alerts.services import alerts_visible_to
from backend.audit.services import audit_record
from backend.core.errors import ApplicationError, NotFound

NOT_STAFF_OF_CLINIC = "Choose an active nurse or admin of your clinic."
RESOLVED = "This alert is resolved: there is nothing left to assign."

# What the form sends when it does not know who held the alert (an API client): any assignee.
ANYONE = object()


def assignable_staff(clinic_id: int) -> QuerySet[User]:
    """The clinic's active nurses and admins, by name: whom an alert can be assigned to."""
    return (
        User.objects.filter(clinic_id=clinic_id, role__in=STAFF_ROLES, is_active=True)
        .only("id", "username", "first_name", "last_name")
        .order_by("first_name", "last_name", "username")
    )


@dataclass(frozen=True)
class Assignment:
    """What an assign did. `done` is false when the alert was not as the nurse saw it (a colleague
    assigned it first, it was resolved, or it already had that assignee): then nothing changed and
    `alert` says who holds it now."""

    alert: Alert
    done: bool


def _staff(user: User) -> bool:
    return user.role in STAFF_ROLES and user.clinic_id is not None


@transaction.atomic
def alert_assign(*, user: User, alert_id: object, assignee_id: int | None, was: object = ANYONE) -> Assignment:
    """Assign the alert to `assignee_id` (None: to nobody), if it is still held by `was` (the
    assignee's id the nurse saw, None for nobody). Only a nurse or admin of the alert's clinic, and
    only to an active one of the same clinic; a resolved alert is left as it is. Audited."""
    if not _staff(user):
        raise NotFound()
    alert = alerts_visible_to(user).select_related("assigned_to").filter(pk=alert_id).first()
    if alert is None:
        raise NotFound()
    assignee = None
    if assignee_id is not None:
        assignee = assignable_staff(user.clinic_id).filter(pk=assignee_id).first()  # type: ignore[arg-type]
        if assignee is None:
            raise ApplicationError({"assignee": [NOT_STAFF_OF_CLINIC]})
    if alert.status not in UNRESOLVED:
        return Assignment(alert, False)
    now = timezone.now()
    rows = Alert.objects.filter(pk=alert.pk, status__in=UNRESOLVED).exclude(assigned_to_id=assignee_id)
    if was is not ANYONE:
        rows = rows.filter(assigned_to_id=was)
    # updated_at moves the queue's version: every open queue shows the new assignee at its next poll.
    if not rows.update(assigned_to_id=assignee_id, assigned_at=now if assignee_id else None, updated_at=now):
        alert.refresh_from_db()
        alert.assigned_to = (
            User.objects.filter(pk=alert.assigned_to_id).first() if alert.assigned_to_id is not None else None
        )
        return Assignment(alert, False)
    alert.assigned_to, alert.assigned_at, alert.updated_at = assignee, now if assignee else None, now
    audit_record(
        actor=user,
        action="update",
        resource="alert",
        patient_ids=[alert.patient_id],
        object_id=str(alert.pk),
        detail=f"assigned to user {assignee_id}" if assignee_id else "unassigned",
    )
    return Assignment(alert, True)
