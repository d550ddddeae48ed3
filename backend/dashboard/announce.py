"""The announcement of new critical alerts on every dashboard page (issue 16 §4): how many critical
alerts of the clinic wait for a nurse and when the newest of them arrived. Counts and a time only,
no id, no name: the banner says "New critical alert in CareLoop" and leads to the queue, where the
patient is shown (and the read audited)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Max
from django.db.models.functions import Coalesce

from backend.alerts.models import Alert, Severity, Status
from backend.dashboard.counts import QueueCounts, queue_counts


@dataclass(frozen=True)
class CriticalAnnouncement:
    open_critical: int  # the queue header's "critical open", from the same count
    arrived: datetime | None  # when the newest of them was raised, or last worsened (None: none is)
    version: str  # the queue's version: unchanged, nothing to announce either

    @property
    def arrived_ms(self) -> int:
        """Milliseconds since the epoch, what the browser compares with the time it last announced."""
        return round(self.arrived.timestamp() * 1000) if self.arrived else 0


def critical_arrived(*, clinic_id: int) -> datetime | None:
    """When the clinic's newest open critical alert arrived: raised, or worsened by a later reading
    (`Alert.ladder_start`: a worse reading is announced again). A superseded alert (backlog history)
    is never announced. One aggregate over the clinic's open alerts, which are few."""
    row = Alert.objects.filter(
        patient__clinic_id=clinic_id, status=Status.OPEN, severity=Severity.CRITICAL, superseded=False
    ).aggregate(arrived=Max(Coalesce("worsened_at", "created_at")))
    arrived: datetime | None = row["arrived"]
    return arrived


def critical_announcement(*, clinic_id: int, counts: QueueCounts | None = None) -> CriticalAnnouncement:
    """The banner's figures in three queries whatever the clinic's size: the queue's two (its header
    counts and version, backend.dashboard.counts) and the newest arrival."""
    counts = counts or queue_counts(clinic_id=clinic_id)
    arrived = critical_arrived(clinic_id=clinic_id) if counts.open_critical else None
    return CriticalAnnouncement(counts.open_critical, arrived, counts.version)
